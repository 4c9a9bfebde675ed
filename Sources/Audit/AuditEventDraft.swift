public import Foundation

/// An event as the proxy hands it to the store, before it has a place in the chain.
///
/// Payload strings must already be masked: the store records what it is given.
public struct AuditEventDraft: Sendable, Hashable {
    /// What happened.
    public var kind: AuditEventKind
    /// When it happened; stored to the millisecond.
    public var time: Date
    /// The client connection the event belongs to, if any.
    public var session: String?
    /// The HTTP request the event belongs to, if any.
    public var exchange: String?
    /// The principal's subject string (`oidc:…`, `unix:alice(1001)@host`), indexed for queries.
    public var principal: String?
    /// The hash of the policy in force, matching the `policy_hash` of a `policy.snapshot` event.
    public var policyHash: String?
    /// Kind-specific detail.
    public var payload: AuditValue

    /// Creates a draft.
    /// - Parameters:
    ///   - kind: What happened.
    ///   - time: When it happened (defaults to now).
    ///   - session: The client connection id.
    ///   - exchange: The HTTP request id.
    ///   - principal: The principal's subject string.
    ///   - policyHash: The hash of the policy in force.
    ///   - payload: Kind-specific detail, already masked.
    public init(
        kind: AuditEventKind, time: Date = Date(), session: String? = nil, exchange: String? = nil,
        principal: String? = nil, policyHash: String? = nil, payload: AuditValue = .object([:])
    ) {
        self.kind = kind
        self.time = time
        self.session = session
        self.exchange = exchange
        self.principal = principal
        self.policyHash = policyHash
        self.payload = payload
    }
}
