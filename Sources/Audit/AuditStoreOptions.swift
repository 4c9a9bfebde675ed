public import Foundation

/// Tuning for ``AuditStore``.
public struct AuditStoreOptions: Sendable, Hashable {
    /// Write a signed checkpoint after this many events since the last one.
    public var checkpointEveryEvents: Int
    /// Write a signed checkpoint after this many seconds, if events arrived since the last one.
    public var checkpointInterval: TimeInterval
    /// How long the writer waits for more events before committing a batch (seconds).
    public var groupCommitDelay: TimeInterval
    /// The most events committed in one transaction.
    public var maxBatch: Int

    /// Creates options; the defaults suit a busy host.
    /// - Parameters:
    ///   - checkpointEveryEvents: Events between count-triggered checkpoints (default 1000).
    ///   - checkpointInterval: Seconds between time-triggered checkpoints (default 60).
    ///   - groupCommitDelay: Seconds a batch stays open for more events (default 0.002).
    ///   - maxBatch: Events per transaction at most (default 512).
    public init(
        checkpointEveryEvents: Int = 1000, checkpointInterval: TimeInterval = 60,
        groupCommitDelay: TimeInterval = 0.002, maxBatch: Int = 512
    ) {
        self.checkpointEveryEvents = max(1, checkpointEveryEvents)
        self.checkpointInterval = checkpointInterval
        self.groupCommitDelay = max(0, groupCommitDelay)
        self.maxBatch = max(1, maxBatch)
    }
}
