/// A destination for audit events: a syslog receiver, a JSON lines file, an OTLP collector.
///
/// The forwarder calls `deliver` from one task at a time per sink, in `seq` order, and calls it again
/// with the same batch after a failure; a sink must therefore tolerate re-delivery (receivers
/// deduplicate on the event id).
public protocol AuditSink: Sendable {
    /// The configured name; it keys the sink's cursor in the audit store.
    var name: String { get }

    /// Hands `batch` to the receiver as reliably as the transport allows, and returns only then.
    ///
    /// - Parameter batch: Events in ascending `seq` order, never empty.
    /// - Throws: ``SinkError`` naming the sink, the address, what failed and what to check.
    func deliver(_ batch: [ForwardedEvent]) async throws

    /// Whether the sink currently holds a live connection (always `true` for sinks without one).
    var isConnected: Bool { get async }

    /// Closes connections and files; the sink reopens them if `deliver` is called again.
    func close() async
}

extension AuditSink {
    /// Sinks without a connection report `true`.
    public var isConnected: Bool {
        get async { true }
    }
}
