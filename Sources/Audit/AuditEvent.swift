public import Foundation

/// An event stored in the log, with its place in the hash chain.
///
/// `canonical` is the canonical JSON (see ``AuditValue``) of the object
/// `{"seq","id","time","kind","session","exchange","principal","policy_hash","payload","prev_hash"}`
/// (absent values as `null`, `time` as RFC 3339 UTC with milliseconds), and
/// `hash = hex(SHA-256(raw 32 bytes of prev_hash ‖ UTF-8 bytes of canonical))`.
/// The other properties are the columns stored next to the text for queries; the verifier
/// checks that they agree with it.
public struct AuditEvent: Sendable, Hashable {
    /// The position in the chain, 1-based and contiguous.
    public var seq: Int64
    /// A stable UUID, for de-duplication in a SIEM.
    public var id: String
    /// When the event happened, to the millisecond.
    public var time: Date
    /// What happened.
    public var kind: AuditEventKind
    /// The client connection id.
    public var session: String?
    /// The HTTP request id.
    public var exchange: String?
    /// The principal's subject string.
    public var principal: String?
    /// The hash of the policy in force.
    public var policyHash: String?
    /// Kind-specific detail (read back from `canonical`; `null` if that text is unreadable).
    public var payload: AuditValue
    /// The hash of the previous event; 64 zeros for the first event of a log.
    public var prevHash: String
    /// The hash of this event.
    public var hash: String
    /// The canonical JSON text the hash covers.
    public var canonical: String

    /// Creates an event from its parts exactly as given, without recomputing anything.
    public init(
        seq: Int64, id: String, time: Date, kind: AuditEventKind, session: String?, exchange: String?,
        principal: String?, policyHash: String?, payload: AuditValue, prevHash: String, hash: String,
        canonical: String
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
        self.hash = hash
        self.canonical = canonical
    }

    /// The event as one line of canonical JSON: the hashed object plus its `"hash"`. This is
    /// what SIEM sinks and evidence exports carry; ``init(jsonLine:)`` reads it back.
    public var jsonLine: String {
        guard var object = try? AuditValue(parsingJSON: canonical), object.objectValue != nil else {
            // Unreadable text (only after tampering): keep the bytes visible rather than drop them.
            return (try? AuditValue.object(["canonical": .string(canonical), "hash": .string(hash)]).canonicalJSON()) ?? ""
        }
        object["hash"] = .string(hash)
        return (try? object.canonicalJSON()) ?? ""
    }

    /// Reads an event from a line written by ``jsonLine``.
    ///
    /// The canonical text is rebuilt from the line without its `"hash"` member, so a line a SIEM
    /// reformatted (whitespace, key order) still yields the original canonical text. Nothing is
    /// verified here; see ``AuditVerifier``.
    /// - Throws: ``AuditError`` with code `.malformedJSON` when a field is missing or mistyped.
    public init(jsonLine: String) throws(AuditError) {
        let value = try AuditValue(parsingJSON: jsonLine)
        guard var members = value.objectValue else {
            throw AuditError(.malformedJSON, "an audit event line must be a JSON object; check that the file holds one event per line")
        }
        guard let hash = members.removeValue(forKey: "hash")?.stringValue else {
            throw AuditError(.malformedJSON, "an audit event line has no \"hash\"; only lines written by Chaperone can be verified")
        }
        let canonical = try AuditValue.object(members).canonicalJSON()
        try self.init(canonical: canonical, hash: hash)
    }

    /// Reads an event's fields from its canonical text.
    init(canonical: String, hash: String) throws(AuditError) {
        let envelope = try AuditEnvelope(canonical: canonical)
        self.init(
            seq: envelope.seq, id: envelope.id, time: envelope.time, kind: envelope.kind,
            session: envelope.session, exchange: envelope.exchange, principal: envelope.principal,
            policyHash: envelope.policyHash, payload: envelope.payload, prevHash: envelope.prevHash,
            hash: hash, canonical: canonical)
    }

    /// Places a draft in the chain after the event whose hash is `prevHash`.
    static func make(seq: Int64, id: String = UUID().uuidString.lowercased(), draft: AuditEventDraft, prevHash: String)
        throws(AuditError) -> AuditEvent
    {
        let time = AuditTimestamp.truncated(draft.time)
        let envelope = AuditEnvelope(
            seq: seq, id: id, time: time, kind: draft.kind, session: draft.session, exchange: draft.exchange,
            principal: draft.principal, policyHash: draft.policyHash, payload: draft.payload, prevHash: prevHash)
        let canonical = try envelope.value.canonicalJSON()
        return AuditEvent(
            seq: seq, id: id, time: time, kind: draft.kind, session: draft.session, exchange: draft.exchange,
            principal: draft.principal, policyHash: draft.policyHash, payload: draft.payload, prevHash: prevHash,
            hash: AuditHash.chain(prevHash: prevHash, canonical: canonical), canonical: canonical)
    }
}
