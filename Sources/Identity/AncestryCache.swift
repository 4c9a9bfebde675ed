import Synchronization

/// Remembers the parent chain of a process, keyed by pid and start time (a reused pid has a
/// new start time). A chain is fixed when a process starts; walking it costs a `/proc/PID/stat`
/// read per ancestor, and a client makes many connections.
final class AncestryCache: Sendable {
    private struct Key: Hashable {
        var pid: Int32
        var startTime: UInt64
    }

    private let chains = Mutex<[Key: [CIJobDetector.Ancestor]]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The remembered chain of `pid`, or `walk()`'s, remembered.
    func chain(pid: Int32, startTime: UInt64, walk: () -> [CIJobDetector.Ancestor]) -> [CIJobDetector.Ancestor] {
        let key = Key(pid: pid, startTime: startTime)
        if startTime != 0, let chain = self.chains.withLock({ $0[key] }) {
            return chain
        }
        let chain = walk()
        if startTime != 0 {
            self.chains.withLock { chains in
                if chains.count >= self.capacity { chains.removeAll(keepingCapacity: true) }
                chains[key] = chain
            }
        }
        return chain
    }
}
