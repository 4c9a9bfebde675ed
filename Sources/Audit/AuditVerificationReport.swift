/// What is wrong with a log or an evidence package, by the first event where it shows.
public enum AuditVerificationProblem: String, Sendable, Hashable, CustomStringConvertible {
    /// An event's text no longer matches its hash, its stored columns disagree with its text,
    /// or a signed checkpoint (or external claim) commits to a different hash: content changed.
    case changed
    /// A gap in the seqs: events were deleted (``AuditVerificationFailure/missing`` names them).
    case removed
    /// An event sits at the wrong position (its text names another seq, or seqs run backwards).
    case reordered
    /// An event's `prev_hash` does not match the hash of the event before it, although both
    /// match their own text: the earlier event was rewritten and its hash recomputed.
    case chainBroken
    /// A checkpoint or tombstone signature does not verify with the public key.
    case badSignature
    /// The log ends before an externally held checkpoint (a SIEM's copy) says it should.
    case truncated
    /// The oldest events are missing and no signed tombstone accounts for them.
    case unanchored
    /// The end of an exported segment is not covered by a signed checkpoint.
    case unsigned
    /// An evidence package file is missing, extra, or differs from its manifest hash.
    case manifestMismatch
    /// An evidence package's public key is not the pinned one.
    case untrustedKey

    public var description: String { rawValue }
}

/// The first thing found wrong.
public struct AuditVerificationFailure: Sendable, Hashable {
    /// The first seq that is not what it should be (`nil` for a file-level problem).
    public var seq: Int64?
    /// What is wrong.
    public var problem: AuditVerificationProblem
    /// For ``AuditVerificationProblem/removed``, ``AuditVerificationProblem/truncated`` and
    /// ``AuditVerificationProblem/unanchored``: the seqs that are missing.
    public var missing: ClosedRange<Int64>?
    /// For package problems: the file concerned.
    public var file: String?
    /// One line for a human: the seq and what is wrong with it.
    public var message: String

    public init(
        seq: Int64?, problem: AuditVerificationProblem, missing: ClosedRange<Int64>? = nil, file: String? = nil,
        message: String
    ) {
        self.seq = seq
        self.problem = problem
        self.missing = missing
        self.file = file
        self.message = message
    }
}

/// The outcome of verifying a log or an evidence package.
public struct AuditVerificationReport: Sendable, Hashable {
    /// The first problem found; `nil` when everything verified.
    public var failure: AuditVerificationFailure?
    /// Events whose hash, columns and links were checked.
    public var eventsChecked: Int
    /// Checkpoints and tombstones whose signatures were checked.
    public var checkpointsChecked: Int
    /// The first seq present.
    public var firstSeq: Int64?
    /// The last seq present.
    public var lastSeq: Int64?
    /// The highest seq vouched for by a valid signature (checkpoint `covers_seq`).
    public var lastSignedSeq: Int64?

    public init(
        failure: AuditVerificationFailure?, eventsChecked: Int, checkpointsChecked: Int, firstSeq: Int64?,
        lastSeq: Int64?, lastSignedSeq: Int64?
    ) {
        self.failure = failure
        self.eventsChecked = eventsChecked
        self.checkpointsChecked = checkpointsChecked
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.lastSignedSeq = lastSignedSeq
    }

    /// Whether everything verified.
    public var ok: Bool { failure == nil }
    /// The first bad seq, if a failure names one.
    public var firstBadSeq: Int64? { failure?.seq }
    /// The problem, if any.
    public var problem: AuditVerificationProblem? { failure?.problem }

    /// One line for a human.
    public var message: String {
        if let failure { return failure.message }
        guard let firstSeq, let lastSeq else { return "ok: the log is empty" }
        let signed = lastSignedSeq.map { "signed through seq \($0)" } ?? "no checkpoint yet"
        return "ok: \(eventsChecked) events (seq \(firstSeq)…\(lastSeq)) verified, \(checkpointsChecked) signatures valid, \(signed)"
    }
}
