import Foundation

/// The hashed object of an event, read from or written to canonical text.
struct AuditEnvelope: Hashable {
    var seq: Int64
    var id: String
    var time: Date
    var kind: AuditEventKind
    var session: String?
    var exchange: String?
    var principal: String?
    var policyHash: String?
    var payload: AuditValue
    var prevHash: String

    init(
        seq: Int64, id: String, time: Date, kind: AuditEventKind, session: String?, exchange: String?,
        principal: String?, policyHash: String?, payload: AuditValue, prevHash: String
    ) {
        self.seq = seq
        self.id = id
        self.time = time
        self.kind = kind
        self.session = session
        self.exchange = exchange
        self.principal = principal
        self.policyHash = policyHash
        self.payload = payload
        self.prevHash = prevHash
    }

    /// The object whose canonical text is hashed.
    var value: AuditValue {
        .object([
            "seq": .int(seq), "id": .string(id), "time": .string(AuditTimestamp.format(time)),
            "kind": .string(kind.rawValue), "session": .optional(session), "exchange": .optional(exchange),
            "principal": .optional(principal), "policy_hash": .optional(policyHash), "payload": payload,
            "prev_hash": .string(prevHash),
        ])
    }

    static let keys: Set<String> = [
        "seq", "id", "time", "kind", "session", "exchange", "principal", "policy_hash", "payload", "prev_hash",
    ]

    /// Reads the envelope from canonical text, checking that every field is present and typed.
    init(canonical: String) throws(AuditError) {
        let value = try AuditValue(parsingJSON: canonical)
        guard let members = value.objectValue, Set(members.keys) == Self.keys else {
            throw AuditError(.malformedJSON, "event text does not have exactly the fields \(Self.keys.sorted()); it was altered or written by another program")
        }
        func optionalString(_ key: String) throws(AuditError) -> String? {
            switch members[key] {
            case .string(let text): return text
            case .null: return nil
            default: throw AuditError(.malformedJSON, "event field \(key) must be a string or null")
            }
        }
        guard case .int(let seq) = members["seq"], let id = members["id"]?.stringValue,
            let timeText = members["time"]?.stringValue, let time = AuditTimestamp.parse(timeText),
            let kind = members["kind"]?.stringValue, let prevHash = members["prev_hash"]?.stringValue,
            let payload = members["payload"]
        else {
            throw AuditError(.malformedJSON, "event fields seq, id, time, kind or prev_hash are missing or mistyped")
        }
        self.init(
            seq: seq, id: id, time: time, kind: AuditEventKind(kind), session: try optionalString("session"),
            exchange: try optionalString("exchange"), principal: try optionalString("principal"),
            policyHash: try optionalString("policy_hash"), payload: payload, prevHash: prevHash)
    }
}
