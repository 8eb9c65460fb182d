public import KyvernRuntime
internal import GRPCCore

extension CRIRuntime {
    /// One ListPodSandboxStats for the whole node, as upstream's kubelet asks a CRI runtime for its
    /// summary; nil when the runtime does not implement it (older runtimes), so the agent falls
    /// back to a ContainerStats per container.
    public func listPodSandboxStats() async throws -> [PodSandboxStats]? {
        do {
            let response = try await connection.runtimeService.listPodSandboxStats(
                Runtime_V1_ListPodSandboxStatsRequest(), options: connection.options(timeout: .seconds(30)))
            return response.stats.map(CRIResponses.sandboxStats)
        } catch let error as RPCError where error.code == .unimplemented {
            return nil
        } catch let error as RPCError {
            throw CRICallError(method: "ListPodSandboxStats", code: "\(error.code)", message: error.message)
        }
    }

    public func imageFsInfo() async throws -> [FilesystemUsage] {
        let response = try await connection.call("ImageFsInfo") {
            try await connection.imageService.imageFsInfo(Runtime_V1_ImageFsInfoRequest(), options: connection.options())
        }
        return response.imageFilesystems.map(CRIResponses.filesystemUsage)
    }
}
