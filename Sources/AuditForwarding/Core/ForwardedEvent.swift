public import Foundation

/// One audit event as forwarded: its position, stable id and the canonical JSON line (which includes "hash").
///
/// The audit store produces these; sinks send `jsonLine` unchanged so that a SIEM can re-verify the
/// hash chain from its own copy.
public struct ForwardedEvent: Sendable, Hashable {
    /// Position in the audit log; strictly increasing, the forwarder's cursor unit.
    public var seq: Int64
    /// Stable event id; receivers deduplicate on it after an at-least-once re-send.
    public var id: String
    /// When the event happened.
    public var time: Date
    /// Event kind, such as `session.open`, `exchange.request`, `policy.decision` or `audit.checkpoint`.
    public var kind: String
    /// The canonical JSON line of the event, without a trailing newline (it includes "hash").
    public var jsonLine: String

    /// Creates an event as the audit store hands it to the forwarder.
    public init(seq: Int64, id: String, time: Date, kind: String, jsonLine: String) {
        self.seq = seq
        self.id = id
        self.time = time
        self.kind = kind
        self.jsonLine = jsonLine
    }
}
