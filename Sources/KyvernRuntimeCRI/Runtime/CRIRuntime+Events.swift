public import KyvernRuntime
internal import GRPCCore

extension CRIRuntime {
    /// GetContainerEvents (containerd 1.7+, CRI-O): the stream stays open for the agent's life, so
    /// the call has no deadline; a runtime without it (containerd 1.6) answers Unimplemented.
    public func watchContainerEvents(_ handler: @escaping @Sendable (ContainerEvent) async -> Void) async throws -> Bool {
        var options = connection.options()
        options.timeout = nil
        do {
            try await connection.runtimeService.getContainerEvents(
                request: ClientRequest(message: Runtime_V1_GetEventsRequest()), options: options
            ) { response in
                for try await message in response.messages { await handler(CRIResponses.containerEvent(message)) }
            }
            return true
        } catch let error as RPCError where error.code == .unimplemented {
            return false
        } catch let error as RPCError {
            throw CRICallError(method: "GetContainerEvents", code: "\(error.code)", message: error.message)
        }
    }
}
