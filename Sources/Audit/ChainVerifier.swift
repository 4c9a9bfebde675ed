import Foundation

/// Checks a run of events in seq order, one at a time, so a large log is verified in pages.
///
/// Checks per event, in this order (the first that fails names the problem):
/// 1. position: the seq follows the previous one (a gap is `.removed`, going backwards `.reordered`);
/// 2. the text parses and names the same seq as the row (else `.changed`, or `.reordered` when it
///    names another seq: an authentic event moved to another position);
/// 3. `SHA-256(prev_hash ‖ canonical)` equals the stored hash (else `.changed`);
/// 4. the stored columns equal the fields of the text (else `.changed`);
/// 5. `prev_hash` equals the previous event's hash (else `.chainBroken`, blamed on the previous
///    event: see ``feed(_:)``);
/// 6. checkpoints and tombstones: the signature verifies (else `.badSignature`) and the hash
///    they sign equals the hash in the log (else `.changed`).
/// At the end: the first event is seq 1 with the genesis `prev_hash`, or a valid tombstone vouches
/// for where it starts (else `.unanchored`); an external claim is present (else `.truncated`).
struct ChainVerifier {
    enum Anchor {
        /// A whole log: seq 1 with the genesis hash, or a prefix pruned under a signed tombstone.
        case log
        /// An exported segment: the first event's `prev_hash` is accepted; the signed checkpoint
        /// at the end commits to it.
        case segment
    }

    let key: AuditPublicKey
    let claim: AuditCheckpointClaim?
    let anchorMode: Anchor

    private(set) var failure: AuditVerificationFailure?
    private(set) var eventsChecked = 0
    private(set) var checkpointsChecked = 0
    private(set) var firstSeq: Int64?
    private(set) var lastSeq: Int64?
    /// The highest seq a valid signature vouches for.
    private(set) var lastSignedSeq: Int64?
    private(set) var lastEventIsValidCheckpoint = false
    private var firstPrevHash = AuditHash.genesis
    private(set) var anchored = true
    private var previousHash: String?
    /// Hashes of recent events, for checking what checkpoints sign (they cover the event just
    /// before them; tombstones the last pruned one, whose hash is the first remaining prev_hash).
    private var recentHashes: [Int64: String] = [:]

    init(key: AuditPublicKey, claim: AuditCheckpointClaim?, anchor: Anchor) {
        self.key = key
        self.claim = claim
        self.anchorMode = anchor
    }

    /// Whether the chain still needs events (it stops at the first failure, but keeps looking
    /// for a tombstone while the start is unanchored).
    var wantsMore: Bool { failure == nil || !anchored }

    private mutating func fail(
        _ seq: Int64?, _ problem: AuditVerificationProblem, missing: ClosedRange<Int64>? = nil, _ message: String
    ) {
        if failure == nil {
            failure = AuditVerificationFailure(seq: seq, problem: problem, missing: missing, message: message)
        }
    }

    private static func describe(_ range: ClosedRange<Int64>) -> String {
        range.count == 1 ? "seq \(range.lowerBound)" : "seqs \(range.lowerBound)…\(range.upperBound)"
    }

    /// The first seq that no valid signature vouches for yet.
    private var firstUnvouchedSeq: Int64 {
        max((lastSignedSeq ?? 0) + 1, firstSeq ?? 1)
    }

    mutating func feed(_ event: AuditEvent) {
        guard failure == nil else {
            if !anchored, event.kind == .tombstone { checkTombstoneAnchor(event) }
            return
        }
        eventsChecked += 1
        lastEventIsValidCheckpoint = false

        // 1. Position.
        if let lastSeq {
            if event.seq > lastSeq + 1 {
                let gap = (lastSeq + 1)...(event.seq - 1)
                return fail(lastSeq + 1, .removed, missing: gap, "\(Self.describe(gap)) missing: events were deleted after seq \(lastSeq)")
            }
            if event.seq <= lastSeq {
                return fail(event.seq, .reordered, "seq \(event.seq) appears after seq \(lastSeq): events are out of order")
            }
        } else {
            firstSeq = event.seq
            firstPrevHash = event.prevHash
            switch anchorMode {
            case .segment: anchored = true
            case .log:
                if event.seq == 1 {
                    if event.prevHash != AuditHash.genesis {
                        fail(1, .chainBroken, "seq 1 has prev_hash \(event.prevHash.prefix(12))…, not the genesis value of 64 zeros")
                    }
                } else {
                    anchored = false  // until a signed tombstone accounts for the missing prefix
                }
            }
        }
        defer {
            lastSeq = event.seq
            previousHash = event.hash
            recentHashes[event.seq] = event.hash
            if recentHashes.count > 4096 { recentHashes = recentHashes.filter { $0.key > event.seq - 2048 } }
        }
        if failure != nil { return }

        // 2. The text, and the position it names.
        let envelope: AuditEnvelope
        do throws(AuditError) {
            envelope = try AuditEnvelope(canonical: event.canonical)
        } catch {
            return fail(event.seq, .changed, "seq \(event.seq) changed: its stored text is no longer a valid event (\(error.message))")
        }
        if envelope.seq != event.seq {
            return fail(event.seq, .reordered, "seq \(event.seq) holds the event written as seq \(envelope.seq) (id \(envelope.id)): events were moved")
        }

        // 3. Content against its own hash.
        if AuditHash.chain(prevHash: event.prevHash, canonical: event.canonical) != event.hash {
            return fail(event.seq, .changed, "seq \(event.seq) changed: its content no longer matches its hash")
        }

        // 4. Stored columns against the hashed text.
        let stored = AuditEnvelope(
            seq: event.seq, id: event.id, time: event.time, kind: event.kind, session: event.session,
            exchange: event.exchange, principal: event.principal, policyHash: event.policyHash,
            payload: event.payload, prevHash: event.prevHash)
        if stored != envelope {
            let fields = Self.differingFields(stored, envelope)
            return fail(event.seq, .changed, "seq \(event.seq) changed: stored \(fields.joined(separator: ", ")) differ from the hashed text")
        }

        // 5. The link. Both events match their own hashes, so one was rewritten with its hash
        // recomputed. The earlier one is blamed: the later event's prev_hash is part of its hashed
        // text, which its successors (and the next signed checkpoint) commit to, so it still
        // records what the earlier event's hash was when the later one was written.
        if let previousHash, event.prevHash != previousHash {
            let previous = event.seq - 1
            return fail(previous, .chainBroken, "seq \(previous) was rewritten: its hash no longer matches the prev_hash that seq \(event.seq) recorded for it")
        }

        // 6. Signed events.
        if event.kind == .checkpoint || event.kind == .tombstone { checkSigned(event) }
        if failure != nil { return }

        // External claim.
        if let claim, claim.coversSeq == event.seq, claim.coversHash != event.hash {
            let from = firstUnvouchedSeq
            fail(from, .changed, "seq \(event.seq) has another hash than the external checkpoint holds: the log from seq \(from) to \(event.seq) was rewritten and its hashes recomputed")
        }
    }

    private static func differingFields(_ a: AuditEnvelope, _ b: AuditEnvelope) -> [String] {
        var fields: [String] = []
        if a.id != b.id { fields.append("id") }
        if a.time != b.time { fields.append("time") }
        if a.kind != b.kind { fields.append("kind") }
        if a.session != b.session { fields.append("session") }
        if a.exchange != b.exchange { fields.append("exchange") }
        if a.principal != b.principal { fields.append("principal") }
        if a.policyHash != b.policyHash { fields.append("policy_hash") }
        if a.payload != b.payload { fields.append("payload") }
        if a.prevHash != b.prevHash { fields.append("prev_hash") }
        return fields
    }

    private mutating func checkSigned(_ event: AuditEvent) {
        checkpointsChecked += 1
        let payload = event.payload
        guard AuditSignedPayload.isValid(payload, key: key) else {
            let keyID = payload["key_id"]?.stringValue ?? "none"
            let why = keyID == key.keyID ? "the signature does not verify" : "it names key \(keyID), not \(key.keyID)"
            return fail(event.seq, .badSignature, "seq \(event.seq): \(event.kind) signature is invalid (\(why)): it was forged or altered")
        }
        if event.kind == .checkpoint {
            guard let covers = payload["covers_seq"]?.intValue, let coversHash = payload["covers_hash"]?.stringValue,
                covers < event.seq
            else {
                return fail(event.seq, .badSignature, "seq \(event.seq): checkpoint lacks covers_seq or covers_hash")
            }
            if covers == 0 {
                if coversHash != AuditHash.genesis {
                    return fail(event.seq, .badSignature, "seq \(event.seq): checkpoint over seq 0 must sign the genesis hash")
                }
            } else if let actual = recentHashes[covers], actual != coversHash {
                let from = firstUnvouchedSeq
                return fail(from, .changed, "the checkpoint at seq \(event.seq) signed another hash for seq \(covers): the log from seq \(from) to \(covers) was rewritten and its hashes recomputed")
            }
            lastSignedSeq = max(lastSignedSeq ?? 0, covers)
            lastEventIsValidCheckpoint = covers == event.seq - 1
        } else {
            guard let through = payload["pruned_through_seq"]?.intValue, let anchor = payload["anchor_hash"]?.stringValue
            else {
                return fail(event.seq, .badSignature, "seq \(event.seq): tombstone lacks pruned_through_seq or anchor_hash")
            }
            if let actual = recentHashes[through], actual != anchor {
                let from = firstUnvouchedSeq
                return fail(from, .changed, "the tombstone at seq \(event.seq) signed another hash for seq \(through): the log was rewritten and its hashes recomputed")
            }
            checkTombstoneAnchor(event)
        }
    }

    /// Accepts a valid tombstone that vouches for where the log starts.
    private mutating func checkTombstoneAnchor(_ event: AuditEvent) {
        guard !anchored, let firstSeq, AuditSignedPayload.isValid(event.payload, key: key),
            event.payload["pruned_through_seq"]?.intValue == firstSeq - 1,
            event.payload["anchor_hash"]?.stringValue == firstPrevHash
        else { return }
        anchored = true
        lastSignedSeq = max(lastSignedSeq ?? 0, firstSeq - 1)
    }

    /// The report, with the checks that need the whole run.
    /// - Parameter requireSignedEnd: Whether the last event must be a checkpoint over the event
    ///   before it (exported segments).
    func finish(requireSignedEnd: Bool = false) -> AuditVerificationReport {
        var result = self
        if !anchored, let firstSeq {
            // The missing prefix comes before anything else that may have failed.
            result.failure = nil
            let gap = 1...(firstSeq - 1)
            result.fail(1, .unanchored, missing: gap, "\(Self.describe(gap)) missing at the start of the log and no signed tombstone accounts for them: events were deleted")
        }
        if result.failure == nil, let claim, claim.coversSeq > (lastSeq ?? 0) {
            let from = (lastSeq ?? 0) + 1
            let gap = from...claim.coversSeq
            result.fail(from, .truncated, missing: gap, "the log ends at seq \(lastSeq ?? 0) but an external checkpoint covers seq \(claim.coversSeq): \(Self.describe(gap)) were cut off the end")
        }
        if result.failure == nil, requireSignedEnd, let lastSeq, !lastEventIsValidCheckpoint {
            let from = firstUnvouchedSeq
            result.fail(from, .unsigned, missing: from...lastSeq, "seqs \(from)…\(lastSeq) at the end are not covered by a signed checkpoint: the segment may have been cut or extended")
        }
        return AuditVerificationReport(
            failure: result.failure, eventsChecked: eventsChecked, checkpointsChecked: checkpointsChecked,
            firstSeq: firstSeq, lastSeq: lastSeq, lastSignedSeq: lastSignedSeq)
    }
}
