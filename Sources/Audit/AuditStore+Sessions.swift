public import Foundation
import GRDB

extension AuditStore {
    /// Recent sessions, newest first.
    ///
    /// `user` matches a session when it equals the principal column exactly
    /// (`oidc:…`, `unix:alice(1001)@build-7`), or equals the principal's `email` in the
    /// `session.open` payload, or is the unix name in a `unix:NAME(UID)@HOST` subject
    /// (`alice` matches `unix:alice(1001)@build-7`).
    /// - Parameters:
    ///   - user: Only this user's sessions; `nil` for all.
    ///   - since: Only sessions opened at or after this time.
    ///   - limit: The most sessions to return.
    /// - Throws: ``AuditError`` with code `.database`.
    public func sessions(user: String? = nil, since: Date? = nil, limit: Int = 100) async throws(AuditError)
        -> [AuditSessionSummary]
    {
        var sql = "SELECT * FROM events WHERE kind = ?"
        var arguments: [(any DatabaseValueConvertible)?] = [AuditEventKind.sessionOpen.rawValue]
        if let user {
            sql += """
                 AND (principal = ? OR substr(principal, 1, length(?)) = ?
                      OR json_extract(canonical, '$.payload.principal.email') = ?)
                """
            let unixPrefix = "unix:\(user)("
            arguments += [user, unixPrefix, unixPrefix, user]
        }
        if let since {
            sql += " AND time >= ?"
            arguments.append(AuditTimestamp.format(since))
        }
        sql += " ORDER BY time DESC, seq DESC LIMIT ?"
        arguments.append(limit)
        let statementArguments = StatementArguments(arguments)
        let query = sql
        return try await asyncRead { db in
            let opens = try AuditEventRecord.fetchAll(db, sql: query, arguments: statementArguments).map(\.event)
            return try opens.map { open in
                let session = open.session ?? ""
                let close = try AuditEventRecord.filter(
                    AuditEventRecord.Columns.session == session
                        && AuditEventRecord.Columns.kind == AuditEventKind.sessionClose.rawValue
                ).order(AuditEventRecord.Columns.seq.desc).fetchOne(db)?.event
                let counted = try AuditEventRecord.filter(
                    AuditEventRecord.Columns.session == session
                        && AuditEventRecord.Columns.kind == AuditEventKind.exchangeRequest.rawValue
                ).fetchCount(db)
                return AuditSessionSummary(open: open, close: close, countedExchanges: counted)
            }
        }
    }
}
