import AuditForwarding
import Foundation

/// A `ForwardingSource` kept in memory, standing in for the audit store.
actor InMemorySource: ForwardingSource {
    private(set) var events: [ForwardedEvent] = []
    private var cursors: [String: Int64] = [:]

    /// Appends `count` events with consecutive seqs and returns them.
    @discardableResult
    func append(_ count: Int) -> [ForwardedEvent] {
        let start = (events.last?.seq ?? 0) + 1
        let added = (0..<count).map { TestEvents.make(seq: start + Int64($0)) }
        events += added
        return added
    }

    func events(after seq: Int64, limit: Int) async throws -> [ForwardedEvent] {
        Array(events.lazy.filter { $0.seq > seq }.prefix(limit))
    }

    func cursor(for sink: String) async throws -> Int64 { cursors[sink] ?? 0 }

    func setCursor(_ seq: Int64, for sink: String) async throws { cursors[sink] = seq }
}

enum TestEvents {
    static let kinds = ["session.open", "exchange.request", "exchange.response", "policy.decision", "audit.checkpoint"]

    /// A realistic event whose JSON has quotes, brackets, backslashes and non-ASCII text.
    static func make(seq: Int64) -> ForwardedEvent {
        let kind = kinds[Int(seq) % kinds.count]
        let id = "evt-\(seq)-\(UUID().uuidString.prefix(8))"
        let time = Date(timeIntervalSince1970: 1_750_000_000 + Double(seq) * 0.001)
        let object: [String: Any] = [
            "seq": seq, "id": id, "kind": kind, "time": "2025-06-15T15:06:40.\(seq)Z",
            "data": ["decision": seq % 2 == 0 ? "deny" : "allow", "text": "héllo \"wörld\" [x] \\ ünïcode ✓"],
            "hash": String(repeating: "ab", count: 32),
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return ForwardedEvent(seq: seq, id: id, time: time, kind: kind, jsonLine: String(decoding: data, as: UTF8.self))
    }
}
