import Audit
import Foundation
import Logging
import NIOCore

/// The audit life of one client connection: `session.open` once, `session.close` once, and the
/// totals in between. HTTP/2 streams of the connection share it; all of them run on the
/// connection's event loop, which is the only place it is touched.
final class SessionLedger: @unchecked Sendable {
    let id: String
    let eventLoop: any EventLoop
    private let trail: AuditTrail?
    private let start = NIODeadline.now()
    private(set) var isOpen = false
    private var isClosed = false
    private var principalSubject: String?
    private var connection: InterceptedConnection?
    var exchanges = 0
    var bytesIn = 0
    var bytesOut = 0
    /// The first error of the connection, for `session.close`.
    var error: String?
    /// Reads the byte totals at close, for a connection that counts them elsewhere (a splice).
    var totals: (() -> (bytesIn: Int, bytesOut: Int))?
    /// Requests of this connection waiting for an approver; the idle timer does not close it meanwhile.
    var activeHolds = 0

    init(id: String, eventLoop: any EventLoop, trail: AuditTrail?) {
        self.id = id
        self.eventLoop = eventLoop
        self.trail = trail
    }

    /// The subject events of this session are filed under.
    var subject: String? { principalSubject }

    /// Keeps what attribution found, so a session that fails later still names its principal.
    func remember(_ connection: InterceptedConnection) {
        eventLoop.preconditionInEventLoop()
        self.connection = connection
    }

    /// Writes `session.open` (once).
    func open(_ connection: InterceptedConnection, mode: String, masking: String? = nil) {
        eventLoop.preconditionInEventLoop()
        guard !isOpen else { return }
        isOpen = true
        self.connection = connection
        principalSubject = connection.effectivePrincipal?.subject
        var payload = AuditPayloads.sessionOpen(connection, mode: mode)
        if case .object(var fields) = payload {
            fields["masking"] = .text(masking)
            payload = .object(fields)
        }
        trail?.submit(.sessionOpen, session: id, principal: principalSubject, payload: payload)
    }

    /// Writes `session.close` (once; opening the session first when it never got that far) and
    /// logs the close only once the event is durable.
    func close(_ connection: InterceptedConnection, error: String? = nil, logger: Logger) {
        eventLoop.preconditionInEventLoop()
        guard !isClosed else { return }
        if !isOpen { open(self.connection ?? connection, mode: error == nil ? "intercept" : "error") }
        isClosed = true
        if self.error == nil { self.error = error }
        if let totals {
            (bytesIn, bytesOut) = totals()
        }
        guard let trail else { return }
        let payload = AuditPayloads.sessionClose(self, durationMilliseconds: Double((NIODeadline.now() - start).nanoseconds) / 1e6)
        // Enqueued now, in order with the session's other events (and before the store closes at
        // shutdown); the log line waits until it is durable.
        trail.submit(.sessionClose, session: id, principal: principalSubject, payload: payload)
        let store = trail.store
        Task {
            await store.flush()
            logger.debug("session closed and recorded")
        }
    }
}
