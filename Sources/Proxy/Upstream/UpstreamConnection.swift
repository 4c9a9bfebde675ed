import NIOCore
import NIOHTTP1

/// One TLS connection to a provider, speaking HTTP/1.1, owned by at most one exchange at a time.
final class UpstreamConnection {
    /// Which connections may serve a request: the same address and the same SNI.
    struct Key: Hashable, Sendable {
        let address: String
        let serverName: String
    }

    let key: Key
    let channel: any Channel
    let handler: UpstreamHandler
    /// False once something makes the connection unfit for another request.
    var isReusable = true
    /// Closes the connection when it has sat idle in the pool too long.
    var idleTimer: Scheduled<Void>?

    init(key: Key, channel: any Channel, handler: UpstreamHandler) {
        self.key = key
        self.channel = channel
        self.handler = handler
    }

    func write(_ part: HTTPClientRequestPart) {
        channel.pipeline.syncOperations.write(NIOAny(part), promise: nil)
    }

    func flush() {
        channel.pipeline.syncOperations.flush()
    }

    var isWritable: Bool { channel.isWritable }

    func close() {
        isReusable = false
        channel.close(promise: nil)
    }

    /// Closes the connection without telling its owner: for an owner that is ending the exchange itself.
    func abandon() {
        handler.owner = nil
        close()
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}
