/// What ``AuditStore/prune(before:)`` removed.
public struct AuditPruneReport: Sendable, Hashable {
    /// How many events were deleted; 0 when nothing was old enough.
    public var deleted: Int
    /// The last deleted seq; `nil` when nothing was deleted.
    public var prunedThroughSeq: Int64?
    /// The signed `audit.tombstone` event that records the prune; `nil` when nothing was deleted.
    public var tombstone: AuditEvent?

    public init(deleted: Int, prunedThroughSeq: Int64?, tombstone: AuditEvent?) {
        self.deleted = deleted
        self.prunedThroughSeq = prunedThroughSeq
        self.tombstone = tombstone
    }
}
