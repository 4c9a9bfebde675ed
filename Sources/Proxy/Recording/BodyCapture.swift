import Masking

/// The masked text of one body as the audit log keeps it: bounded, valid UTF-8, and for a
/// streamed response cut into the chunks the client received with their times, so a replay
/// shows the pace.
///
/// It sees only bytes that already went through the direction's masker; the rules that apply to
/// the record alone (`directions: [record]`) run here as a second pass, so what is kept is
/// masked for the record too (invariant 1).
struct BodyCapture {
    /// One piece of the body as it was sent on, `offsetMilliseconds` after the exchange began.
    struct Chunk: Sendable, Equatable {
        var offsetMilliseconds: Double
        var text: String
    }

    /// The most bytes kept; the rest is counted, not kept.
    let limit: Int
    private(set) var chunks: [Chunk] = []
    private(set) var keptBytes = 0
    /// Bytes seen (after masking), kept or not.
    private(set) var totalBytes = 0
    private(set) var isTruncated = false
    /// The record-only rules' pass, when the rule set has any for this direction.
    private var recordMasking: BodyMaskingStream?
    /// The start of a UTF-8 sequence cut by a chunk boundary, waiting for its continuation.
    private var carry: [UInt8] = []

    /// - Parameters:
    ///   - limit: The most bytes to keep.
    ///   - recordMasking: The record-only rules' masker for this body, if any.
    init(limit: Int, recordMasking: BodyMaskingStream?) {
        self.limit = limit
        self.recordMasking = recordMasking
    }

    /// Takes bytes sent on at `offsetMilliseconds`; returns what the record-only rules found.
    mutating func append(_ bytes: some Collection<UInt8>, at offsetMilliseconds: Double) -> [MaskingFinding] {
        guard !bytes.isEmpty else { return [] }
        if recordMasking != nil {
            let output = recordMasking!.feed(bytes)
            keep(output.bytes, at: offsetMilliseconds)
            return output.findings
        }
        keep(bytes, at: offsetMilliseconds)
        return []
    }

    /// Ends the body: flushes the record pass and any cut UTF-8 sequence.
    mutating func finish(at offsetMilliseconds: Double) -> [MaskingFinding] {
        var findings: [MaskingFinding] = []
        if recordMasking != nil {
            let output = recordMasking!.finish()
            keep(output.bytes, at: offsetMilliseconds)
            findings = output.findings
        }
        if !carry.isEmpty, !isTruncated {
            // A sequence the body never completed: keep it as U+FFFD rather than drop a byte silently.
            chunks.append(Chunk(offsetMilliseconds: offsetMilliseconds, text: String(decoding: carry, as: UTF8.self)))
            carry = []
        }
        return findings
    }

    /// The whole kept text.
    var text: String { chunks.map(\.text).joined() }

    private mutating func keep(_ bytes: some Collection<UInt8>, at offsetMilliseconds: Double) {
        totalBytes += bytes.count
        guard !isTruncated, !bytes.isEmpty else { return }
        var pending = carry
        pending.append(contentsOf: bytes)
        let room = limit - keptBytes
        if pending.count > room {
            pending.removeLast(pending.count - max(room, 0))
            isTruncated = true
        }
        let complete = Self.completePrefixLength(pending)
        carry = isTruncated ? [] : Array(pending[complete...])
        guard complete > 0 else { return }
        keptBytes += complete
        chunks.append(Chunk(offsetMilliseconds: offsetMilliseconds, text: String(decoding: pending[..<complete], as: UTF8.self)))
    }

    /// The length of `bytes` without a trailing UTF-8 sequence that is still missing bytes.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count
        var back = 0
        while index > 0, back < 4 {
            index -= 1
            back += 1
            let byte = bytes[index]
            if byte & 0xC0 == 0x80 { continue }  // continuation byte: keep looking for the lead
            let needed: Int
            switch byte {
            case 0x00..<0x80: needed = 1
            case 0xC0..<0xE0: needed = 2
            case 0xE0..<0xF0: needed = 3
            case 0xF0..<0xF8: needed = 4
            default: needed = 1  // invalid lead: let decoding replace it
            }
            return back >= needed ? bytes.count : index
        }
        return bytes.count
    }
}
