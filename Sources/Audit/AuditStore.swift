import Dispatch
public import Foundation
import GRDB
public import Logging
import Synchronization

/// The tamper-evident audit log: a hash chain of events in one SQLite file.
///
/// Every event commits to its predecessor (`prev_hash`), and the store regularly appends a
/// signed `audit.checkpoint` event over the latest hash, so changing, removing or reordering
/// anything before a checkpoint is detected by ``AuditVerifier`` with the public key alone.
///
/// One writer (a serial dispatch queue) owns the chain. ``append(_:)`` and ``submit(_:)`` queue
/// drafts in call order; the writer collects them for up to ``AuditStoreOptions/groupCommitDelay``
/// or ``AuditStoreOptions/maxBatch`` drafts, chains them in that order and commits them in one
/// transaction (group commit: one fsync for the batch), then resumes the callers.
///
/// Durability: the database runs in WAL mode with `synchronous=FULL`, so a commit returns only
/// after the WAL is fsynced. `NORMAL` would already survive a process crash (kill -9: the WAL
/// write reached the kernel), but could lose the last commits on power loss or a kernel panic;
/// an audit log must not lose acknowledged events, and group commit pays for the extra fsync.
public final class AuditStore: Sendable {
    let path: String
    let pool: DatabasePool
    public let signingKey: AuditSigningKey
    let options: AuditStoreOptions
    let logger: Logger
    let writerQueue: DispatchQueue
    /// Requests waiting for the writer, in submission order.
    let pending = Mutex(PendingRequests())
    /// The head of the chain; read and written only on `writerQueue` (the lock is uncontended
    /// and only makes that visible to the compiler), except `lastSeq` reads for subscribers.
    let chain: Mutex<ChainHead>
    let subscribers = Mutex([UUID: AsyncStream<Int64>.Continuation]())
    let timer = Mutex<CheckpointTimer?>(nil)
    /// Drafts per committed transaction, for tests of group commit.
    let batchSizes = Mutex([Int]())

    /// Opens (creating when needed) the log at `path` and continues its chain.
    ///
    /// A log whose last event does not match its own hash still opens, so the daemon keeps
    /// recording; the mismatch is logged as a warning and ``AuditVerifier`` reports it.
    /// - Parameters:
    ///   - path: The SQLite file, for example `/var/lib/chaperone/audit.db`.
    ///   - signingKey: The key that signs checkpoints and tombstones.
    ///   - options: Checkpoint and group commit tuning.
    ///   - logger: Where the store reports warnings and write failures.
    /// - Throws: ``AuditError`` with code `.cannotOpen` when the file cannot be opened or migrated.
    public init(
        path: String, signingKey: AuditSigningKey, options: AuditStoreOptions = .init(), logger: Logger
    ) throws(AuditError) {
        self.path = path
        self.signingKey = signingKey
        self.options = options
        self.logger = logger
        self.writerQueue = DispatchQueue(label: "chaperone.audit.writer")
        var configuration = Configuration()
        configuration.label = "chaperone.audit"
        // Writers take the lock at BEGIN, and a second process (the CLI pruning with the daemon
        // stopped) waits for it rather than failing: the chain tip is read under that lock.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let head: ChainHead
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            head = try pool.read { db in try ChainHead.load(db) }
        } catch {
            throw Self.openError(path: path, error)
        }
        chain = Mutex(head)
        var metadata: Logger.Metadata = ["audit.path": "\(path)", "audit.last_seq": "\(head.lastSeq)"]
        if !head.lastEventIntact {
            metadata["audit.problem"] = "last event does not match its hash"
            logger.warning("audit log's last event does not match its hash; run `chaperone audit verify`", metadata: metadata)
        } else {
            logger.debug("audit log opened", metadata: metadata)
        }
        startCheckpointTimer()
    }

    deinit {
        timer.withLock { $0?.cancel() }
    }

    static func openError(path: String, _ error: any Error) -> AuditError {
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
                return AuditError(.cannotOpen, "cannot open \(path): permission denied or missing directory (\(error.message ?? "\(error)")); create the state directory and run the daemon as the user that owns it")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return AuditError(.cannotOpen, "cannot open \(path): not an audit database or corrupt (\(error.message ?? "\(error)")); move the file aside (keep it as evidence) and restart")
            default: break
            }
        }
        return AuditError(.cannotOpen, "cannot open \(path): \(error); check the path, free disk space and the file's owner")
    }

    /// Records an event and returns it once it is committed to disk.
    /// - Parameter draft: The event; its payload must already be masked.
    /// - Returns: The stored event with its seq and hash.
    /// - Throws: ``AuditError`` when the payload cannot be encoded, the write fails, or the
    ///   store is closed.
    public func append(_ draft: AuditEventDraft) async throws(AuditError) -> AuditEvent {
        let result = await withCheckedContinuation { continuation in
            enqueue(.append(draft, continuation))
        }
        return try result.get()
    }

    /// Queues an event without waiting for it (the event-loop path). It is committed in
    /// submission order with everything else; a failure is logged, not returned.
    /// - Parameter draft: The event; its payload must already be masked.
    public func submit(_ draft: AuditEventDraft) {
        enqueue(.append(draft, nil))
    }

    /// Waits until everything submitted before this call is committed.
    public func flush() async {
        await withCheckedContinuation { continuation in enqueue(.flush(continuation)) }
    }

    /// Commits everything queued, then appends a signed checkpoint over the last event.
    ///
    /// The writer also does this on its own every ``AuditStoreOptions/checkpointEveryEvents``
    /// events and every ``AuditStoreOptions/checkpointInterval`` seconds; call it on shutdown and
    /// before an export so the end of the log is signed.
    /// - Returns: The `audit.checkpoint` event.
    /// - Throws: ``AuditError`` when the write fails or the store is closed.
    public func checkpoint() async throws(AuditError) -> AuditEvent {
        let result = await withCheckedContinuation { continuation in enqueue(.checkpoint(continuation)) }
        return try result.get()
    }

    /// Deletes the oldest events, those before `cutoff`, and records a signed tombstone.
    ///
    /// Removes the longest prefix of the chain whose events all have `time < cutoff`, never the
    /// last event, then appends an `audit.tombstone` event whose payload
    /// `{"pruned_through_seq","anchor_hash","before","count","signed_at","key_id","signature"}`
    /// vouches for where the remaining chain starts, so it still verifies. Nothing old enough:
    /// nothing is deleted and no tombstone is written.
    /// - Parameter cutoff: Events strictly older than this may go.
    /// - Returns: What was deleted and the tombstone.
    /// - Throws: ``AuditError`` when the write fails or the store is closed.
    public func prune(before cutoff: Date) async throws(AuditError) -> AuditPruneReport {
        let result = await withCheckedContinuation { continuation in enqueue(.prune(cutoff, continuation)) }
        return try result.get()
    }

    /// Commits everything queued, stops the checkpoint timer and closes the database.
    /// Later calls fail with code `.closed`; queries fail too.
    public func close() async {
        await flush()
        pending.withLock { $0.closed = true }
        timer.withLock {
            $0?.cancel()
            $0 = nil
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            writerQueue.async { continuation.resume() }
        }
        for continuation in subscribers.withLock({ $0.values }) { continuation.finish() }
        do {
            try pool.close()
        } catch {
            logger.warning("cannot close the audit database cleanly: \(error)", metadata: ["audit.path": "\(path)"])
        }
    }

    /// A stream of the latest committed seq: it yields the current last seq at once, then after
    /// every commit. Only the newest value is buffered; a forwarder reads its cursor, then
    /// fetches `events(after:)` whenever a value arrives.
    public func newEvents() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        continuation.yield(chain.withLock { $0.lastSeq })
        return stream
    }

    func notifySubscribers(lastSeq: Int64) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(lastSeq) }
    }
}
