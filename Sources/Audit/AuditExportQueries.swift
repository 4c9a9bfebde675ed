import GRDB

/// The SQL behind an export.
enum AuditExportQueries {
    /// First and last seq of the events with `lower ≤ time ≤ upper`.
    static func bounds(_ db: Database, lower: String, upper: String) throws -> (first: Int64, last: Int64)? {
        let row = try Row.fetchOne(
            db, sql: "SELECT MIN(seq), MAX(seq) FROM events WHERE time >= ? AND time <= ?", arguments: [lower, upper])
        guard let row, let first = row[0] as Int64?, let last = row[1] as Int64? else { return nil }
        return (first, last)
    }

    /// The first checkpoint after `seq`.
    static func checkpoint(_ db: Database, after seq: Int64) throws -> Int64? {
        try Int64.fetchOne(
            db, sql: "SELECT MIN(seq) FROM events WHERE kind = ? AND seq > ?",
            arguments: [AuditEventKind.checkpoint.rawValue, seq])
    }

    /// The latest `policy.snapshot` before `seq` for each hash.
    static func snapshots(_ db: Database, hashes: Set<String>, before seq: Int64) throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        for hash in hashes {
            let record = try AuditEventRecord.filter(
                AuditEventRecord.Columns.kind == AuditEventKind.policySnapshot.rawValue
                    && AuditEventRecord.Columns.policyHash == hash && AuditEventRecord.Columns.seq < seq
            ).order(AuditEventRecord.Columns.seq.desc).fetchOne(db)
            if let record { events.append(record.event) }
        }
        return events.sorted { $0.seq < $1.seq }
    }
}
