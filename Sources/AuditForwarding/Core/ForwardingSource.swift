/// Where the forwarder reads events and keeps each sink's cursor (the audit store implements it).
///
/// A cursor is the `seq` of the last event a sink has received; a sink that never received anything
/// has cursor 0.
public protocol ForwardingSource: Sendable {
    /// Up to `limit` events with `seq > seq`, in ascending `seq` order.
    func events(after seq: Int64, limit: Int) async throws -> [ForwardedEvent]
    /// The stored cursor of the sink called `sink`, or 0 if none is stored.
    func cursor(for sink: String) async throws -> Int64
    /// Stores the cursor of the sink called `sink`.
    func setCursor(_ seq: Int64, for sink: String) async throws
}
