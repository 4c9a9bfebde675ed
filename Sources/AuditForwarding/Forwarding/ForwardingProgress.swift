internal import Foundation

/// What the sink loops report, for ``ForwardingService/status()``.
actor ForwardingProgress {
    private struct Entry {
        var cursor: Int64 = 0
        var lastError: String?
        var lastDeliveryAt: Date?
    }

    private var entries: [String: Entry] = [:]
    /// The highest `seq` any loop has seen.
    private(set) var headSeq: Int64 = 0

    func cursorLoaded(_ cursor: Int64, sink: String) {
        entries[sink, default: Entry()].cursor = cursor
        headSeq = max(headSeq, cursor)
    }

    func fetched(upTo seq: Int64) { headSeq = max(headSeq, seq) }

    func delivered(upTo seq: Int64, sink: String) {
        entries[sink, default: Entry()].cursor = seq
        entries[sink, default: Entry()].lastError = nil
        entries[sink, default: Entry()].lastDeliveryAt = Date()
        headSeq = max(headSeq, seq)
    }

    func failed(_ error: any Error, sink: String) {
        entries[sink, default: Entry()].lastError = String(describing: error)
    }

    func snapshot(sink: String) -> (cursor: Int64?, lastError: String?, lastDeliveryAt: Date?) {
        guard let entry = entries[sink] else { return (nil, nil, nil) }
        return (entry.cursor, entry.lastError, entry.lastDeliveryAt)
    }
}
