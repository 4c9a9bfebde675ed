/// Verifies the hash chain and signatures of a log.
///
/// Detects, and names by the first affected seq: changed content (`.changed`), deleted events
/// (`.removed`, with the missing seqs), moved events (`.reordered`), an event rewritten with its
/// hash recomputed (`.chainBroken`), forged checkpoints or tombstones (`.badSignature`), a cut tail
/// against an externally held checkpoint (`.truncated`) and a deleted prefix without a signed
/// tombstone (`.unanchored`). See ``AuditVerificationProblem``.
///
/// What it cannot detect on its own: whoever can write the database can drop the newest events,
/// or rewrite everything after the last checkpoint and recompute the hashes. Forwarding
/// checkpoints to a SIEM and passing the last one received as `externalCheckpoint` closes that gap.
public enum AuditVerifier {
    /// Verifies a whole store, paging through it.
    /// - Parameters:
    ///   - store: The log.
    ///   - publicKey: The key the checkpoints were signed with (pin it; don't read it from the log host).
    ///   - externalCheckpoint: The last checkpoint a SIEM or the fleet hub received, if any.
    /// - Returns: The report; `ok` is false on the first problem found.
    /// - Throws: ``AuditError`` when the database cannot be read.
    public static func verify(
        store: AuditStore, publicKey: AuditPublicKey, externalCheckpoint: AuditCheckpointClaim? = nil
    ) async throws(AuditError) -> AuditVerificationReport {
        var verifier = ChainVerifier(key: publicKey, claim: externalCheckpoint, anchor: .log)
        var after: Int64 = 0
        while verifier.failure == nil {
            let page = try await store.events(after: after, limit: 2000)
            guard let last = page.last else { break }
            for event in page { verifier.feed(event) }
            after = last.seq
        }
        if verifier.failure != nil, !verifier.anchored {
            for tombstone in try await store.events(kind: .tombstone) { verifier.feed(tombstone) }
        }
        return verifier.finish()
    }

    /// Verifies events given in seq order, such as a whole log read some other way.
    /// - Parameters:
    ///   - events: The events, oldest first.
    ///   - publicKey: The key the checkpoints were signed with.
    ///   - externalCheckpoint: An externally held checkpoint, if any.
    ///   - segment: `true` for an exported segment: its first event's `prev_hash` is accepted as
    ///     the anchor and its last event must be a signed checkpoint over the one before.
    /// - Returns: The report.
    public static func verify(
        events: some Sequence<AuditEvent>, publicKey: AuditPublicKey,
        externalCheckpoint: AuditCheckpointClaim? = nil, segment: Bool = false
    ) -> AuditVerificationReport {
        let events = Array(events)
        var verifier = ChainVerifier(key: publicKey, claim: externalCheckpoint, anchor: segment ? .segment : .log)
        if let misplaced = firstMisplacedSeq(events) {
            var report = verifier.finish()
            report.failure = AuditVerificationFailure(
                seq: misplaced, problem: .reordered,
                message: "seq \(misplaced) is out of place: events are not in seq order")
            return report
        }
        for event in events {
            verifier.feed(event)
            if !verifier.wantsMore { break }
        }
        return verifier.finish(requireSignedEnd: segment)
    }

    /// The first seq that appears out of order in a list that is a permutation with gaps: the
    /// seq that should come next but appears later instead.
    static func firstMisplacedSeq(_ events: [AuditEvent]) -> Int64? {
        guard events.count > 1 else { return nil }
        var sorted = true
        for index in 1..<events.count where events[index].seq <= events[index - 1].seq {
            sorted = false
            break
        }
        if sorted { return nil }
        let ordered = events.map(\.seq).sorted()
        for (index, event) in events.enumerated() where event.seq != ordered[index] {
            return ordered[index]
        }
        return nil
    }
}
