public import Audit
public import Foundation
import NIOConcurrencyHelpers

/// Where the proxy's audit events go: the hash-chained store, stamped with the hash of the
/// policy in force (invariant 2).
///
/// `submit` only enqueues: the store's writer assigns the chain position and commits in groups,
/// off the event loops.
public final class AuditTrail: Sendable {
    /// The store the events are appended to.
    public let store: AuditStore
    /// The most body bytes an event keeps, per body (the rest is counted).
    public let bodyLimit: Int
    private let policyHash: NIOLockedValueBox<String?>

    /// - Parameters:
    ///   - store: The audit store.
    ///   - bodyLimit: The most bytes of each masked body to keep.
    public init(store: AuditStore, bodyLimit: Int) {
        self.store = store
        self.bodyLimit = bodyLimit
        self.policyHash = NIOLockedValueBox(nil)
    }

    /// The hash of the policy in force, stamped on every later event.
    public var currentPolicyHash: String? {
        get { policyHash.withLockedValue { $0 } }
        set { policyHash.withLockedValue { $0 = newValue } }
    }

    /// Enqueues one event.
    func submit(
        _ kind: AuditEventKind, session: String?, exchange: String? = nil, principal: String?, payload: AuditValue,
        time: Date = Date()
    ) {
        store.submit(
            AuditEventDraft(
                kind: kind, time: time, session: session, exchange: exchange, principal: principal,
                policyHash: currentPolicyHash, payload: payload))
    }

    /// Whether the store holds a `policy.snapshot` of this policy hash.
    func hasSnapshot(policyHash: String) async throws -> Bool {
        try await store.events(kind: .policySnapshot).contains { $0.payload["policy_hash"] == .string(policyHash) }
    }

    /// Appends one event and waits until it is durable.
    @discardableResult
    public func append(
        _ kind: AuditEventKind, session: String? = nil, exchange: String? = nil, principal: String? = nil,
        payload: AuditValue, time: Date = Date()
    ) async throws -> AuditEvent {
        try await store.append(
            AuditEventDraft(
                kind: kind, time: time, session: session, exchange: exchange, principal: principal,
                policyHash: currentPolicyHash, payload: payload))
    }
}
