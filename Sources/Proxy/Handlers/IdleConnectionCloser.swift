import NIOCore

/// Closes a connection on which nothing moved for the configured idle time (`IdleStateHandler`'s event).
///
/// A connection whose request waits for an approver is not idle: the client is waiting on us.
final class IdleConnectionCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let ledger: SessionLedger

    init(ledger: SessionLedger) {
        self.ledger = ledger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if ledger.activeHolds > 0 { return }
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension IdleConnectionCloser: Sendable {}
