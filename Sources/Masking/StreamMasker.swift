/// Masks one byte stream incrementally: feed chunks as they arrive, forward what comes
/// back at once.
///
/// The contract is chunk invariance: for any split of an input into chunks, the
/// concatenated outputs (bytes and findings) equal ``Masker/mask(_:session:)`` of the whole
/// input. The masker releases every byte that no rule can still claim and holds back only
/// from the earliest position where a detector is still waiting for input (at most
/// ``maximumHoldBack`` bytes, plus an incomplete UTF-8 sequence). Inside a PEM private key
/// block it releases nothing until the end marker.
///
/// A value type; the session it shares with other streams is a reference.
package struct StreamMasker: Sendable {
    let rules: CompiledRules
    let session: MaskingSession
    /// Retained input: left context, bytes not yet released, bytes not yet scanned.
    var buffer: [UInt8] = []
    /// Stream offset of `buffer[0]`.
    var bufferOffset = 0
    /// Buffer index of the first undecided byte.
    var scanIndex = 0
    /// Buffer index of the first decided-clean byte not yet released.
    var releaseIndex = 0
    /// Bytes released so far (output stream offset).
    var outputCount = 0
    /// The entry index whose block (PEM key) is open, if any.
    var openBlock: Int?
    /// Whether output pieces are recorded in ``segments`` (framing adapters only).
    var recordsSegments = false
    /// Pieces of output since the caller last drained them.
    var segments: [StreamSegment] = []
    /// Whether `finish()` or `abort()` was called.
    private(set) var isClosed = false

    /// Creates a masker for one stream.
    ///
    /// - Parameters:
    ///   - rules: The compiled rules of the stream's direction.
    ///   - session: The session whose pseudonyms and key the stream uses.
    init(rules: CompiledRules, session: MaskingSession) {
        self.rules = rules
        self.session = session
    }

    /// The most bytes the masker can hold back from output outside a key block.
    package var maximumHoldBack: Int {
        rules.maximumHoldBack
    }

    /// Input bytes received but not yet released or swallowed.
    package var heldBackByteCount: Int {
        buffer.count - releaseIndex
    }

    /// Whether the stream is inside a private key block.
    package var isInsideBlock: Bool {
        openBlock != nil
    }

    /// Masks the next chunk.
    ///
    /// - Parameters:
    ///   - chunk: The next bytes of the stream; any length, any split.
    /// - Returns: The bytes proven clean or masked so far, with their findings.
    package mutating func feed(_ chunk: some Collection<UInt8>) -> MaskedOutput {
        guard !isClosed else {
            assertionFailure("feed after finish or abort")
            return MaskedOutput()
        }
        buffer.append(contentsOf: chunk)
        let output = scan(isEndOfInput: false)
        compact()
        return output
    }

    /// Ends the stream and releases everything still held back, masked.
    ///
    /// - Returns: The rest of the stream; nothing of an unterminated key block.
    package mutating func finish() -> MaskedOutput {
        guard !isClosed else { return MaskedOutput() }
        let output = scan(isEndOfInput: true)
        isClosed = true
        buffer = []
        return output
    }

    /// Ends the stream without releasing anything further: held-back bytes were never
    /// proven clean and are dropped.
    package mutating func abort() {
        isClosed = true
        buffer = []
        releaseIndex = 0
        scanIndex = 0
    }

    /// Drops input that is released and no longer needed as left context.
    private mutating func compact() {
        let keep = min(releaseIndex, scanIndex - rules.retainedContext)
        guard keep > 4096 || (keep > 0 && keep * 2 > buffer.count) else { return }
        buffer.removeFirst(keep)
        bufferOffset += keep
        scanIndex -= keep
        releaseIndex -= keep
    }
}
