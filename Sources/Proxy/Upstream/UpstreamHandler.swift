import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

/// The end of an upstream connection's pipeline: hands response parts to the exchange that owns
/// the connection, and reads only while that exchange's client can take more.
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange currently using this connection; nil while pooled.
    var owner: ExchangeHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var handshakePromise: EventLoopPromise<Void>?

    /// - Parameter handshakePromise: Completed when the TLS handshake with the provider succeeds or fails.
    init(handshakePromise: EventLoopPromise<Void>) {
        self.handshakePromise = handshakePromise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        owner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard let owner else {
            // A pooled connection must be silent; bytes here mean the server broke the protocol.
            context.close(promise: nil)
            return
        }
        owner.upstreamRead(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.upstreamReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakePromise?.succeed()
            handshakePromise = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakePromise?.fail(ProxyError(.upstreamClosed, "the provider closed the connection during the TLS handshake"))
        handshakePromise = nil
        owner?.upstreamClosed(error: nil)
        owner = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let classified = UpstreamErrorClassifier.classify(error)
        if let promise = handshakePromise {
            handshakePromise = nil
            promise.fail(classified)
        } else {
            owner?.upstreamClosed(error: classified)
            owner = nil
        }
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
    }

    func read(context: ChannelHandlerContext) {
        if owner?.clientIsWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Called by the owner when its client can take more bytes again.
    func resumeReading() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }
}

@available(*, unavailable)
extension UpstreamHandler: Sendable {}
