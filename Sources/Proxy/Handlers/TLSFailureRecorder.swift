import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Records a client TLS handshake that fails (the client does not trust the org CA, or speaks no
/// TLS we accept), which would otherwise leave no trace: no exchange ever starts.
final class TLSFailureRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let connection: InterceptedConnection
    private let runtime: ProxyRuntime
    private let ledger: SessionLedger
    private let logger: Logger
    private var handshakeDone = false

    init(connection: InterceptedConnection, runtime: ProxyRuntime, ledger: SessionLedger, logger: Logger) {
        self.connection = connection
        self.runtime = runtime
        self.ledger = ledger
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakeDone = true
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeDone {
            handshakeDone = true
            var record = connection.makeRecord(kind: .error)
            record.error = "client TLS handshake failed: \(error)"
            runtime.recorder.record(record)
            ledger.error = record.error
            logger.info("client TLS handshake failed; does the client trust the org CA?", metadata: ["error": "\(error)"])
        }
        context.fireErrorCaught(error)
    }
}

@available(*, unavailable)
extension TLSFailureRecorder: Sendable {}
