/// The kind of an audit event, such as `session.open` or `audit.checkpoint`.
///
/// An open set backed by a string: the proxy may record kinds this library does not know, and
/// the verifier and exports carry them through unchanged. The kinds below are the ones the
/// store, the exporter and the session queries interpret.
public struct AuditEventKind: RawRepresentable, Hashable, Sendable, Codable,
    CustomStringConvertible, ExpressibleByStringLiteral
{
    /// The dotted name written to the log, for example `exchange.request`.
    public var rawValue: String

    /// Creates a kind from its dotted name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Creates a kind from its dotted name.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    /// A client connection was accepted and attributed (payload: principal, process, sni, ...).
    public static let sessionOpen = AuditEventKind("session.open")
    /// A client connection ended (payload: bytes_in, bytes_out, duration_ms, error, exchanges).
    public static let sessionClose = AuditEventKind("session.close")
    /// A request was received from the client (payload: method, path, provider, model, bytes, findings).
    public static let exchangeRequest = AuditEventKind("exchange.request")
    /// A response was returned to the client (payload: status, bytes, findings).
    public static let exchangeResponse = AuditEventKind("exchange.response")
    /// Policy decided on an exchange.
    public static let policyDecision = AuditEventKind("policy.decision")
    /// The policy in force; its `policy_hash` is what other events reference.
    public static let policySnapshot = AuditEventKind("policy.snapshot")
    /// An exchange was held for approval.
    public static let approvalRequested = AuditEventKind("approval.requested")
    /// A held exchange was approved.
    public static let approvalApproved = AuditEventKind("approval.approved")
    /// A held exchange was denied.
    public static let approvalDenied = AuditEventKind("approval.denied")
    /// A held exchange timed out.
    public static let approvalExpired = AuditEventKind("approval.expired")
    /// A time-bound grant was created.
    public static let grantCreated = AuditEventKind("grant.created")
    /// A time-bound grant ran out.
    public static let grantExpired = AuditEventKind("grant.expired")
    /// A time-bound grant was revoked.
    public static let grantRevoked = AuditEventKind("grant.revoked")
    /// A signed statement over the hash of an earlier event (written by the store).
    public static let checkpoint = AuditEventKind("audit.checkpoint")
    /// A signed statement that a prefix of the log was pruned (written by the store).
    public static let tombstone = AuditEventKind("audit.tombstone")
}
