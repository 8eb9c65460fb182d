import NIOCore
import NIOHTTP1

/// Lets a request that asks for an upgrade this server cannot make through as plain HTTP.
///
/// NIO's upgrade handler drops the head of a request whose `Upgrade` names no known protocol, so
/// the connection ends with no answer. kubectl meets this when its WebSocket exec is refused and it
/// falls back to `Upgrade: SPDY/3.1`: it then prints "unexpected EOF" instead of the server's
/// `Status`. Removing the upgrade request sends it to the routes, which answer with the error as
/// upstream does before any upgrade. It leaves the pipeline at the first upgrade it lets through.
final class UnknownUpgradeFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    /// The protocols the upgrade handler behind this one speaks (lower case).
    let known: Set<String>

    init(known: Set<String> = ["websocket"]) {
        self.known = known
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        Self.dropUnknownUpgrade(&head.headers, known: known)
        let upgrading = !head.headers[canonicalForm: "upgrade"].isEmpty
        context.fireChannelRead(wrapInboundOut(.head(head)))
        // After an upgrade the connection carries frames, not HTTP parts; a refused one is closed.
        if upgrading { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    /// Removes `Upgrade` (and the `upgrade` token of `Connection`) when it names none of `known`.
    static func dropUnknownUpgrade(_ headers: inout HTTPHeaders, known: Set<String>) {
        let requested = headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        guard !requested.isEmpty, !requested.contains(where: known.contains) else { return }
        headers.remove(name: "upgrade")
        let connection = headers[canonicalForm: "connection"].filter { $0.lowercased() != "upgrade" }.map(String.init)
        headers.remove(name: "connection")
        if !connection.isEmpty { headers.add(name: "connection", value: connection.joined(separator: ", ")) }
    }
}
