import Foundation
import GRDB

/// A row of the `events` table.
///
/// `canonical` is the hashed text; the other columns repeat its fields for queries and
/// indexes, and the verifier checks that they agree with it. There is no payload column: the
/// payload is read back from `canonical`.
struct AuditEventRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "events"

    enum Columns {
        static let seq = Column(CodingKeys.seq)
        static let time = Column(CodingKeys.time)
        static let kind = Column(CodingKeys.kind)
        static let session = Column(CodingKeys.session)
        static let principal = Column(CodingKeys.principal)
        static let policyHash = Column(CodingKeys.policyHash)
    }

    var seq: Int64
    var id: String
    var time: String
    var kind: String
    var session: String?
    var exchange: String?
    var principal: String?
    var policyHash: String?
    var canonical: String
    var prevHash: String
    var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, id, time, kind, session, exchange, principal
        case policyHash = "policy_hash"
        case canonical
        case prevHash = "prev_hash"
        case hash
    }

    init(_ event: AuditEvent) {
        seq = event.seq
        id = event.id
        time = AuditTimestamp.format(event.time)
        kind = event.kind.rawValue
        session = event.session
        exchange = event.exchange
        principal = event.principal
        policyHash = event.policyHash
        canonical = event.canonical
        prevHash = event.prevHash
        hash = event.hash
    }

    /// Inserts the row through one cached prepared statement: the writer's hot path, which
    /// the generic record encoding would cost several times over.
    func insertFast(_ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (seq, id, time, kind, session, exchange, principal, policy_hash, canonical, prev_hash, hash) \
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            seq, id, time, kind, session, exchange, principal, policyHash, canonical, prevHash, hash,
        ])
    }

    /// The event as stored: columns as they are, payload read from `canonical` (`null` if that
    /// text no longer parses, which only tampering causes; the verifier reports it).
    var event: AuditEvent {
        AuditEvent(
            seq: seq, id: id, time: AuditTimestamp.parse(time) ?? .distantPast, kind: AuditEventKind(kind),
            session: session, exchange: exchange, principal: principal, policyHash: policyHash,
            payload: (try? AuditValue(parsingJSON: canonical))?["payload"] ?? .null, prevHash: prevHash,
            hash: hash, canonical: canonical)
    }
}
