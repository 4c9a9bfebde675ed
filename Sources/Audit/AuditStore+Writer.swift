import Dispatch
import Foundation
import GRDB
import Logging
import Synchronization

/// A unit of work for the writer queue.
enum WriterRequest: Sendable {
    case append(AuditEventDraft, CheckedContinuation<Result<AuditEvent, AuditError>, Never>?)
    case flush(CheckedContinuation<Void, Never>)
    case checkpoint(CheckedContinuation<Result<AuditEvent, AuditError>, Never>)
    case prune(Date, CheckedContinuation<Result<AuditPruneReport, AuditError>, Never>)

    func fail(_ error: AuditError) {
        switch self {
        case .append(_, let continuation): continuation?.resume(returning: .failure(error))
        case .flush(let continuation): continuation.resume()
        case .checkpoint(let continuation): continuation.resume(returning: .failure(error))
        case .prune(_, let continuation): continuation.resume(returning: .failure(error))
        }
    }
}

/// The writer's queue of requests.
struct PendingRequests {
    var requests: [WriterRequest] = []
    var drainScheduled = false
    var closed = false
}

/// The head of the chain, as the writer knows it.
struct ChainHead: Sendable {
    var lastSeq: Int64 = 0
    var lastHash: String = AuditHash.genesis
    /// Events (other than checkpoints) since the last checkpoint.
    var sinceCheckpoint = 0
    var lastCheckpointAt = Date()
    var lastEventIntact = true

    static func load(_ db: Database) throws -> ChainHead {
        var head = ChainHead()
        guard let last = try AuditEventRecord.order(AuditEventRecord.Columns.seq.desc).fetchOne(db) else { return head }
        head.lastSeq = last.seq
        head.lastHash = last.hash
        head.lastEventIntact = AuditHash.chain(prevHash: last.prevHash, canonical: last.canonical) == last.hash
        let checkpoint = try AuditEventRecord.filter(AuditEventRecord.Columns.kind == AuditEventKind.checkpoint.rawValue)
            .order(AuditEventRecord.Columns.seq.desc).fetchOne(db)
        head.sinceCheckpoint = try AuditEventRecord
            .filter(AuditEventRecord.Columns.seq > (checkpoint?.seq ?? 0))
            .filter(AuditEventRecord.Columns.kind != AuditEventKind.checkpoint.rawValue).fetchCount(db)
        return head
    }
}

extension AuditStore {
    func enqueue(_ request: WriterRequest) {
        let schedule: Bool? = pending.withLock { pending in
            guard !pending.closed else { return nil }
            pending.requests.append(request)
            if pending.drainScheduled { return false }
            pending.drainScheduled = true
            return true
        }
        switch schedule {
        case nil:
            request.fail(AuditError(.closed, "the audit store \(path) is closed; events after shutdown are not recorded"))
        case true?:
            let delay: TimeInterval
            if case .append = request { delay = options.groupCommitDelay } else { delay = 0 }
            writerQueue.asyncAfter(deadline: .now() + delay) { self.drain() }
        case false?:
            break
        }
    }

    /// Takes batches off the queue until it is empty. Runs on `writerQueue`.
    private func drain() {
        while true {
            let batch: [WriterRequest] = pending.withLock { pending in
                let batch = Array(pending.requests.prefix(options.maxBatch))
                pending.requests.removeFirst(batch.count)
                if batch.isEmpty { pending.drainScheduled = false }
                return batch
            }
            if batch.isEmpty { return }
            process(batch)
        }
    }

    private func process(_ batch: [WriterRequest]) {
        var run: [(AuditEventDraft, CheckedContinuation<Result<AuditEvent, AuditError>, Never>?)] = []
        for request in batch {
            switch request {
            case .append(let draft, let continuation):
                run.append((draft, continuation))
            case .flush(let continuation):
                commit(&run)
                continuation.resume()
            case .checkpoint(let continuation):
                commit(&run)
                continuation.resume(returning: writeCheckpoint())
            case .prune(let cutoff, let continuation):
                commit(&run)
                continuation.resume(returning: writePrune(before: cutoff))
            }
        }
        commit(&run)
    }

    /// Chains and commits `run` in one transaction, adding a checkpoint when one is due.
    private func commit(_ run: inout [(AuditEventDraft, CheckedContinuation<Result<AuditEvent, AuditError>, Never>?)]) {
        guard !run.isEmpty else { return }
        defer { run.removeAll(keepingCapacity: true) }
        var head = chain.withLock { $0 }
        var events: [AuditEvent] = []
        var outcomes: [Result<Int, AuditError>] = []  // index into `events`, or the draft's own error
        var checkpoint: AuditEvent?
        var attempts = 0
        while true {
            attempts += 1
            head = chain.withLock { $0 }
            events = []
            outcomes = []
            checkpoint = nil
            for (draft, _) in run {
                do throws(AuditError) {
                    let event = try AuditEvent.make(seq: head.lastSeq + 1, draft: draft, prevHash: head.lastHash)
                    head.lastSeq = event.seq
                    head.lastHash = event.hash
                    outcomes.append(.success(events.count))
                    events.append(event)
                } catch {
                    outcomes.append(.failure(error))
                }
            }
            head.sinceCheckpoint += events.count
            do throws(AuditError) {
                if !events.isEmpty, head.sinceCheckpoint >= options.checkpointEveryEvents {
                    checkpoint = try makeCheckpoint(after: head, at: Date())
                }
                let toWrite = events + (checkpoint.map { [$0] } ?? [])
                if toWrite.isEmpty { break }
                let tip = chain.withLock { $0 }
                if try writeChained(expecting: tip, { db in
                    for event in toWrite { try AuditEventRecord(event).insertFast(db) }
                }) {
                    break
                }
                // Another process appended (a CLI with the daemon stopped, say): chain anew
                // from the real tip rather than fork the chain.
                try reloadHead()
                if attempts < 5 { continue }
                throw AuditError(.database, "the audit log \(path) keeps changing under this process; is a second daemon writing to it?")
            } catch {
                logger.error("audit write failed, \(events.count) events not recorded: \(error)", metadata: ["audit.path": "\(path)"])
                for (_, continuation) in run { continuation?.resume(returning: .failure(error)) }
                return
            }
        }
        if let checkpoint {
            head.lastSeq = checkpoint.seq
            head.lastHash = checkpoint.hash
            head.sinceCheckpoint = 0
            head.lastCheckpointAt = Date()
        }
        let committed = head
        chain.withLock { $0 = committed }
        batchSizes.withLock { $0.append(events.count) }
        for (index, (draft, continuation)) in run.enumerated() {
            let result = outcomes[index].map { events[$0] }
            if continuation == nil, case .failure(let error) = result {
                logger.error("audit event not recorded: \(error)", metadata: ["audit.kind": "\(draft.kind)"])
            }
            continuation?.resume(returning: result)
        }
        if !events.isEmpty { notifySubscribers(lastSeq: committed.lastSeq) }
    }

    /// A signed checkpoint event over the head of the chain, placed right after it.
    private func makeCheckpoint(after head: ChainHead, at time: Date) throws(AuditError) -> AuditEvent {
        let payload = try AuditSignedPayload.sign(
            ["covers_seq": .int(head.lastSeq), "covers_hash": .string(head.lastHash)], with: signingKey, at: time)
        let draft = AuditEventDraft(kind: .checkpoint, time: time, payload: payload)
        return try AuditEvent.make(seq: head.lastSeq + 1, draft: draft, prevHash: head.lastHash)
    }

    /// Writes a checkpoint in its own transaction. Runs on `writerQueue`.
    func writeCheckpoint() -> Result<AuditEvent, AuditError> {
        do throws(AuditError) {
            var head = chain.withLock { $0 }
            var checkpoint = try makeCheckpoint(after: head, at: Date())
            var attempts = 0
            while try !writeChained(expecting: head, { db in try AuditEventRecord(checkpoint).insert(db) }) {
                attempts += 1
                guard attempts < 5 else { throw AuditError(.database, "the audit log \(path) keeps changing under this process") }
                try reloadHead()
                head = chain.withLock { $0 }
                checkpoint = try makeCheckpoint(after: head, at: Date())
            }
            chain.withLock {
                $0.lastSeq = checkpoint.seq
                $0.lastHash = checkpoint.hash
                $0.sinceCheckpoint = 0
                $0.lastCheckpointAt = Date()
            }
            notifySubscribers(lastSeq: checkpoint.seq)
            return .success(checkpoint)
        } catch {
            logger.error("audit checkpoint failed: \(error)", metadata: ["audit.path": "\(path)"])
            return .failure(error)
        }
    }

    /// Deletes the prunable prefix and appends the tombstone, in one transaction.
    private func writePrune(before cutoff: Date) -> Result<AuditPruneReport, AuditError> {
        let cutoffText = AuditTimestamp.format(cutoff)
        do throws(AuditError) {
            try reloadHead()
            let head = chain.withLock { $0 }
            let found: (first: Int64, through: Int64, anchor: String)? = try read { db in
                guard let first = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM events"),
                    let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events")
                else { return nil }
                let firstKept = try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM events WHERE time >= ?", arguments: [cutoffText])
                let through = min((firstKept ?? last + 1) - 1, last - 1)
                guard through >= first,
                    let anchor = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE seq = ?", arguments: [through])
                else { return nil }
                return (first, through, anchor)
            }
            guard let found else { return .success(AuditPruneReport(deleted: 0, prunedThroughSeq: nil, tombstone: nil)) }
            let count = found.through - found.first + 1
            let now = Date()
            let payload = try AuditSignedPayload.sign(
                [
                    "pruned_through_seq": .int(found.through), "anchor_hash": .string(found.anchor),
                    "before": .string(cutoffText), "count": .int(count),
                ], with: signingKey, at: now)
            let tombstone = try AuditEvent.make(
                seq: head.lastSeq + 1, draft: AuditEventDraft(kind: .tombstone, time: now, payload: payload),
                prevHash: head.lastHash)
            let written = try writeChained(expecting: head) { db in
                try db.execute(sql: "INSERT INTO prune_gate (open) VALUES (1)")
                try db.execute(sql: "DELETE FROM events WHERE seq <= ?", arguments: [found.through])
                try db.execute(sql: "DELETE FROM prune_gate")
                try AuditEventRecord(tombstone).insert(db)
            }
            guard written else {
                throw AuditError(.database, "the audit log \(path) changed while pruning; run the prune again")
            }
            chain.withLock {
                $0.lastSeq = tombstone.seq
                $0.lastHash = tombstone.hash
                $0.sinceCheckpoint += 1
            }
            notifySubscribers(lastSeq: tombstone.seq)
            logger.info("audit log pruned", metadata: ["audit.pruned_through": "\(found.through)", "audit.count": "\(count)"])
            return .success(AuditPruneReport(deleted: Int(count), prunedThroughSeq: found.through, tombstone: tombstone))
        } catch {
            logger.error("audit prune failed: \(error)", metadata: ["audit.path": "\(path)"])
            return .failure(error)
        }
    }

    func startCheckpointTimer() {
        guard options.checkpointInterval > 0 else { return }
        let interval = options.checkpointInterval
        let box = CheckpointTimer(queue: writerQueue, interval: interval) { [weak self] in
            guard let self else { return }
            let head = self.chain.withLock { $0 }
            let closed = self.pending.withLock { $0.closed }
            if !closed, head.sinceCheckpoint > 0, Date().timeIntervalSince(head.lastCheckpointAt) >= interval * 0.9 {
                _ = self.writeCheckpoint()
            }
        }
        timer.withLock { $0 = box }
    }

    /// A write transaction that appends to the chain: it first checks, under the write lock, that
    /// the log still ends where this process believes, and returns false (writing nothing) when
    /// another process appended meanwhile.
    func writeChained(expecting head: ChainHead, _ body: (Database) throws -> Void) throws(AuditError) -> Bool {
        var moved = false
        try write { db in
            let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
            let seq: Int64 = row?["seq"] ?? 0
            let hash: String = row?["hash"] ?? AuditHash.genesis
            guard seq == head.lastSeq, hash == head.lastHash else {
                moved = true
                return
            }
            try body(db)
        }
        return !moved
    }

    /// Reads the chain's head from the file again, after another process appended to it. The
    /// rows it added are checked to link to what this process wrote last; either way the next
    /// events chain on the real tip (forking the chain would hide the other rows), and a break
    /// is logged loudly for `chaperone audit verify` to name.
    func reloadHead() throws(AuditError) {
        let old = chain.withLock { $0 }
        let fresh = try read { db in try ChainHead.load(db) }
        if fresh.lastSeq != old.lastSeq || fresh.lastHash != old.lastHash {
            let added = try read { db in
                try AuditEventRecord.filter(AuditEventRecord.Columns.seq > old.lastSeq)
                    .order(AuditEventRecord.Columns.seq).fetchAll(db)
            }
            var previous = old.lastHash
            var linked = !added.isEmpty
            for row in added {
                guard row.prevHash == previous, AuditHash.chain(prevHash: row.prevHash, canonical: row.canonical) == row.hash
                else {
                    linked = false
                    break
                }
                previous = row.hash
            }
            let metadata: Logger.Metadata = [
                "audit.path": "\(path)", "audit.from": "\(old.lastSeq + 1)", "audit.to": "\(fresh.lastSeq)",
            ]
            if linked {
                logger.warning("another process appended to the audit log; continuing after its events", metadata: metadata)
            } else {
                logger.error(
                    "the audit log was changed by another process and does not link to this process's last event; run `chaperone audit verify`",
                    metadata: metadata)
            }
        }
        chain.withLock { head in
            let lastCheckpointAt = head.lastCheckpointAt
            head = fresh
            head.lastCheckpointAt = lastCheckpointAt
        }
    }

    /// A synchronous write transaction on the writer queue, errors mapped to ``AuditError``.
    ///
    /// A lock held by another process (a CLI pruning with the daemon stopped, a backup) is waited
    /// out for up to two minutes rather than dropping the batch.
    func write(_ body: (Database) throws -> Void) throws(AuditError) {
        var waited: TimeInterval = 0
        while true {
            do {
                try pool.write(body)
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && waited < 120 {
                if waited == 0 {
                    logger.warning("the audit log is locked by another process; waiting", metadata: ["audit.path": "\(path)"])
                }
                Thread.sleep(forTimeInterval: 0.1)
                waited += 0.1
            } catch {
                throw Self.databaseError("write to", path: path, error)
            }
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(AuditError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw Self.databaseError("read", path: path, error)
        }
    }

    static func databaseError(_ verb: String, path: String, _ error: any Error) -> AuditError {
        if let error = error as? AuditError { return error }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_FULL {
            return AuditError(.database, "cannot \(verb) \(path): disk full; free space on the state volume")
        }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_PERM {
            return AuditError(.database, "cannot \(verb) \(path): permission denied; run the daemon as the user that owns the state directory")
        }
        return AuditError(.database, "cannot \(verb) \(path): \(error); run `chaperone audit verify` and check the disk")
    }
}

/// The repeating timer that triggers time-based checkpoints on the writer queue.
///
/// `@unchecked Sendable`: the only state is a dispatch source, whose `cancel()` is documented
/// as safe to call from any thread; it is created, scheduled and resumed in `init` and never
/// mutated afterwards.
final class CheckpointTimer: @unchecked Sendable {
    private let source: any DispatchSourceTimer

    init(queue: DispatchQueue, interval: TimeInterval, handler: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        source.setEventHandler(handler: handler)
        source.resume()
    }

    func cancel() { source.cancel() }

    deinit { source.cancel() }
}
