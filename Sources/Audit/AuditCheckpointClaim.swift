/// A hash of the log held outside it, such as the last checkpoint a SIEM received.
///
/// The store must still contain seq ``coversSeq`` with hash ``coversHash``; a store that ends
/// earlier was truncated, one with another hash there was rewritten.
public struct AuditCheckpointClaim: Sendable, Hashable {
    /// The seq the claim vouches for.
    public var coversSeq: Int64
    /// The hash that seq had.
    public var coversHash: String

    /// Creates a claim.
    public init(coversSeq: Int64, coversHash: String) {
        self.coversSeq = coversSeq
        self.coversHash = coversHash
    }

    /// The claim made by a checkpoint line as forwarded to a SIEM (``AuditEvent/jsonLine``).
    ///
    /// The line vouches for itself: its own seq and hash, which commit to everything before it
    /// (including the `covers_hash` it signs). The line's hash is recomputed, so a line edited
    /// on the way is refused rather than trusted.
    /// - Throws: ``AuditError`` with code `.malformedJSON` for a line that is not a
    ///   checkpoint or whose hash does not match its content.
    public init(jsonLine: String) throws(AuditError) {
        let event = try AuditEvent(jsonLine: jsonLine)
        guard event.kind == .checkpoint else {
            throw AuditError(.malformedJSON, "the external claim is a \(event.kind) event, not audit.checkpoint; pass the last checkpoint line your SIEM received")
        }
        guard AuditHash.chain(prevHash: event.prevHash, canonical: event.canonical) == event.hash else {
            throw AuditError(.malformedJSON, "the checkpoint line for seq \(event.seq) does not match its own hash; take the line unchanged from the SIEM")
        }
        self.init(coversSeq: event.seq, coversHash: event.hash)
    }
}
