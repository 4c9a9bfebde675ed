import NIOCore

/// Reads a connection's first bytes until the whole TLS ClientHello is in, without consuming them.
///
/// The decision what to do with the connection (terminate TLS or splice it) needs the SNI, which
/// is in the ClientHello. This handler keeps every byte it sees; once the hello parses it asks
/// `decide`, which adds the handlers that will own the connection after this one, then replays
/// the kept bytes to them and removes itself. A connection whose first bytes are not a ClientHello,
/// or whose ClientHello is larger than the bound or slower than the timeout, is closed.
final class ClientHelloPeekHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case peeking
        case deciding
        case done
    }

    private let parser: ClientHelloParser
    private let timeout: TimeAmount
    private let decide: (ClientHelloInfo, ChannelHandlerContext) -> EventLoopFuture<Void>
    private let reject: (ProxyError, ChannelHandlerContext) -> Void
    private var state = State.peeking
    private var buffered: ByteBuffer?
    private var timeoutTask: Scheduled<Void>?

    /// - Parameters:
    ///   - parser: The ClientHello parser (its bound limits how much is buffered).
    ///   - timeout: How long the client has to send the whole ClientHello.
    ///   - decide: Adds the handlers for the connection; the bytes are replayed when its future succeeds.
    ///   - reject: Called once for a connection that is closed instead (bad hello, timeout, failed decision).
    init(
        parser: ClientHelloParser = ClientHelloParser(),
        timeout: TimeAmount,
        decide: @escaping (ClientHelloInfo, ChannelHandlerContext) -> EventLoopFuture<Void>,
        reject: @escaping (ProxyError, ChannelHandlerContext) -> Void
    ) {
        self.parser = parser
        self.timeout = timeout
        self.decide = decide
        self.reject = reject
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let milliseconds = timeout.nanoseconds / 1_000_000
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.fail(ProxyError(.clientHelloTimeout, "no complete ClientHello within \(milliseconds) ms"), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffered == nil {
            buffered = incoming
        } else {
            buffered!.writeBuffer(&incoming)
        }
        guard case .peeking = state, let bytes = buffered else { return }
        do {
            switch try parser.parse(bytes.readableBytesView) {
            case .needMoreData:
                return
            case .complete(let info, _):
                state = .deciding
                timeoutTask?.cancel()
                decide(info, context).assumeIsolated().whenComplete { result in
                    switch result {
                    case .success: self.replay(context: context)
                    case .failure(let error):
                        let proxyError = error as? ProxyError ?? ProxyError(.clientHelloInvalid, "\(error)")
                        self.fail(proxyError, context: context)
                    }
                }
            }
        } catch {
            fail(ProxyError(.clientHelloInvalid, error.description), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .peeking = state {
            fail(ProxyError(.clientHelloInvalid, "the client closed the connection before its ClientHello was complete"), context: context)
        }
        context.fireChannelInactive()
    }

    private func replay(context: ChannelHandlerContext) {
        state = .done
        if let bytes = buffered {
            buffered = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func fail(_ error: ProxyError, context: ChannelHandlerContext) {
        guard case .done = state else {
            state = .done
            timeoutTask?.cancel()
            buffered = nil
            reject(error, context)
            context.close(promise: nil)
            return
        }
    }
}

@available(*, unavailable)
extension ClientHelloPeekHandler: Sendable {}
