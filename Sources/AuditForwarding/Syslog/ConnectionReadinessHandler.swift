internal import NIOCore
internal import NIOTLS

/// Tells when a receiver connection is usable (connected, and for TLS handshaken) and discards
/// anything the receiver sends, which syslog receivers never do.
///
/// On an error it fails `ready` if still pending and closes the channel, so that the sink sees a
/// closed connection before its next write rather than after it.
final class ConnectionReadinessHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let ready: EventLoopPromise<Void>
    private let waitsForTLSHandshake: Bool
    private var isSettled = false

    init(ready: EventLoopPromise<Void>, waitsForTLSHandshake: Bool) {
        self.ready = ready
        self.waitsForTLSHandshake = waitsForTLSHandshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if !waitsForTLSHandshake, context.channel.isActive { settle(nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if !waitsForTLSHandshake { settle(nil) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { settle(nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Receivers send nothing; drop it.
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        settle(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        settle(ChannelError.ioOnClosedChannel)
    }

    private func settle(_ error: (any Error)?) {
        guard !isSettled else { return }
        isSettled = true
        if let error { ready.fail(error) } else { ready.succeed() }
    }
}

@available(*, unavailable)
extension ConnectionReadinessHandler: Sendable {}
