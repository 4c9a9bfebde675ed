public import Foundation
import GRDB

extension AuditStore {
    /// Runs a read on the database pool, errors mapped to ``AuditError``.
    func asyncRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(AuditError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.databaseError("read", path: path, error)
        }
    }

    /// Events with seq greater than `seq`, in seq order.
    /// - Parameters:
    ///   - seq: The last seq already seen (0 for the start).
    ///   - limit: The most events to return.
    /// - Throws: ``AuditError`` with code `.database`.
    public func events(after seq: Int64, limit: Int) async throws(AuditError) -> [AuditEvent] {
        try await asyncRead { db in
            try AuditEventRecord.filter(AuditEventRecord.Columns.seq > seq).order(AuditEventRecord.Columns.seq)
                .limit(limit).fetchAll(db).map(\.event)
        }
    }

    /// Every event of one client connection, in seq order.
    /// - Throws: ``AuditError`` with code `.database`.
    public func events(session: String) async throws(AuditError) -> [AuditEvent] {
        try await asyncRead { db in
            try AuditEventRecord.filter(AuditEventRecord.Columns.session == session)
                .order(AuditEventRecord.Columns.seq).fetchAll(db).map(\.event)
        }
    }

    /// Events with `from ≤ time ≤ to` (millisecond precision), in seq order.
    /// - Throws: ``AuditError`` with code `.database`.
    public func events(from: Date, to: Date) async throws(AuditError) -> [AuditEvent] {
        let lower = AuditTimestamp.format(from)
        let upper = AuditTimestamp.format(to)
        return try await asyncRead { db in
            try AuditEventRecord.filter(AuditEventRecord.Columns.time >= lower && AuditEventRecord.Columns.time <= upper)
                .order(AuditEventRecord.Columns.seq).fetchAll(db).map(\.event)
        }
    }

    /// Events of one kind, in seq order (checkpoints, tombstones, snapshots).
    /// - Throws: ``AuditError`` with code `.database`.
    public func events(kind: AuditEventKind) async throws(AuditError) -> [AuditEvent] {
        try await asyncRead { db in
            try AuditEventRecord.filter(AuditEventRecord.Columns.kind == kind.rawValue)
                .order(AuditEventRecord.Columns.seq).fetchAll(db).map(\.event)
        }
    }

    /// Events with seq in `range`, in seq order.
    /// - Throws: ``AuditError`` with code `.database`.
    public func events(seqs range: ClosedRange<Int64>) async throws(AuditError) -> [AuditEvent] {
        try await asyncRead { db in
            try AuditEventRecord.filter(range.contains(AuditEventRecord.Columns.seq))
                .order(AuditEventRecord.Columns.seq).fetchAll(db).map(\.event)
        }
    }

    /// The newest event, or `nil` for an empty log.
    /// - Throws: ``AuditError`` with code `.database`.
    public func lastEvent() async throws(AuditError) -> AuditEvent? {
        try await asyncRead { db in
            try AuditEventRecord.order(AuditEventRecord.Columns.seq.desc).fetchOne(db)?.event
        }
    }

    /// The oldest remaining event, or `nil` for an empty log.
    /// - Throws: ``AuditError`` with code `.database`.
    public func firstEvent() async throws(AuditError) -> AuditEvent? {
        try await asyncRead { db in
            try AuditEventRecord.order(AuditEventRecord.Columns.seq).fetchOne(db)?.event
        }
    }

    /// The last seq a sink has forwarded; 0 for a sink never seen.
    /// - Throws: ``AuditError`` with code `.database`.
    public func cursor(for sink: String) async throws(AuditError) -> Int64 {
        try await asyncRead { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM sink_cursors WHERE name = ?", arguments: [sink]) ?? 0
        }
    }

    /// Records that a sink has forwarded everything up to `seq`.
    /// - Throws: ``AuditError`` with code `.database`.
    public func setCursor(_ seq: Int64, for sink: String) async throws(AuditError) {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO sink_cursors (name, seq) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq",
                    arguments: [sink, seq])
            }
        } catch {
            throw Self.databaseError("write to", path: path, error)
        }
    }
}
