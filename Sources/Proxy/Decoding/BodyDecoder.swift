/// Decodes one body's content codings as it streams, so the masker reads plain text.
///
/// `Content-Encoding: gzip, br` means gzip was applied first, then br: the decoder undoes them
/// in reverse order (br, then gzip), each stage streaming into the next. Every stage's output
/// is bounded, which is what stops a decompression bomb (a few KB that inflate to gigabytes)
/// from exhausting the daemon: past ``Limits/maxDecodedBytes`` in total, or past
/// ``Limits/maxRatio`` times the bytes fed once ``Limits/ratioGraceBytes`` have come out, it
/// throws instead of producing more.
///
/// Not thread-safe: one exchange's event loop owns it.
final class BodyDecoder {
    /// How much decoding one body may do.
    struct Limits: Sendable, Equatable {
        /// The most bytes any stage may produce for one body.
        var maxDecodedBytes = 64 * 1_024 * 1_024
        /// The most bytes out per byte in, checked once a stage has produced `ratioGraceBytes`.
        /// Text compresses 5–20×; gzip cannot exceed about 1,032×, brotli can reach millions.
        var maxRatio = 1_000
        /// Output below this size is never refused for its ratio (small, repetitive bodies).
        var ratioGraceBytes = 1_024 * 1_024
    }

    private struct Stage {
        let coding: ContentCoding
        let decompressor: any Decompressor
        var bytesOut = 0
    }

    /// The codings, in the order they were applied.
    let codings: [ContentCoding]
    let limits: Limits
    /// Stages in decoding order: the last coding applied first.
    private var stages: [Stage]
    /// The first error: a decoder that failed stays failed.
    private var failure: BodyDecodingError?
    /// Decoded bytes produced so far.
    private(set) var decodedBytes = 0
    /// Compressed bytes fed so far.
    private(set) var encodedBytes = 0

    /// - Parameters:
    ///   - codings: The body's codings in the order they were applied (``ContentCoding/codings(in:)``).
    ///   - limits: The bounds on decoding.
    /// - Throws: ``BodyDecodingError`` when a decoder cannot be allocated.
    init(codings: [ContentCoding], limits: Limits = Limits()) throws(BodyDecodingError) {
        self.codings = codings
        self.limits = limits
        var stages: [Stage] = []
        for coding in codings.reversed() {
            let decompressor: any Decompressor =
                switch coding {
                case .gzip, .deflate: ZlibDecompressor(coding: coding)
                case .br: try BrotliDecompressor()
                }
            stages.append(Stage(coding: coding, decompressor: decompressor))
        }
        self.stages = stages
    }

    /// Decodes the next compressed bytes.
    ///
    /// - Parameter bytes: The next part of the body as it arrived.
    /// - Returns: The decoded bytes they complete (may be empty: a decoder holds partial blocks).
    /// - Throws: ``BodyDecodingError``: `.malformed` input, or `.tooLarge` when a limit is hit.
    ///   After an error every call throws it again.
    func feed(_ bytes: some Collection<UInt8>) throws(BodyDecodingError) -> [UInt8] {
        if let failure { throw failure }
        encodedBytes += bytes.count
        var output: [UInt8] = []
        var thrown: BodyDecodingError?
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(BodyDecodingError) { try push(UnsafeRawBufferPointer(buffer), into: 0, output: &output) } catch {
                thrown = error
            }
        }
        if contiguous == nil {
            Array(bytes).withUnsafeBytes { raw in
                do throws(BodyDecodingError) { try push(raw, into: 0, output: &output) } catch { thrown = error }
            }
        }
        if let thrown {
            failure = thrown
            throw thrown
        }
        return output
    }

    /// Checks that every coding's stream ended with the body.
    ///
    /// - Throws: ``BodyDecodingError`` with `.truncated` when the body stopped part-way (or the
    ///   error an earlier call threw).
    func finish() throws(BodyDecodingError) {
        if let failure { throw failure }
        do {
            for stage in stages { try stage.decompressor.finish() }
        } catch {
            failure = error
            throw error
        }
    }

    /// Feeds `input` to stage `index` and what it produces on down the chain.
    private func push(_ input: UnsafeRawBufferPointer, into index: Int, output: inout [UInt8]) throws(BodyDecodingError)
    {
        let decompressor = stages[index].decompressor
        try decompressor.decompress(input) { (decoded) throws(BodyDecodingError) in
            try admit(decoded.count, at: index)
            if index + 1 < stages.count {
                try push(decoded, into: index + 1, output: &output)
            } else {
                decodedBytes += decoded.count
                output.append(contentsOf: decoded)
            }
        }
    }

    /// Counts `count` more bytes out of stage `index`, throwing when they break a limit.
    private func admit(_ count: Int, at index: Int) throws(BodyDecodingError) {
        stages[index].bytesOut += count
        let stage = stages[index]
        let name = stage.coding.rawValue
        if stage.bytesOut > limits.maxDecodedBytes {
            throw BodyDecodingError(
                .tooLarge,
                coding: name,
                "the \(name) body decodes to more than \(Self.describe(limits.maxDecodedBytes)), the most Chaperone inspects (decoding.max_body_mb)"
            )
        }
        // Against the bytes the decoder has consumed, not those fed: a feed of 64 KiB must not
        // buy 64 MiB of output before the check trips.
        let bytesIn = stage.decompressor.consumedBytes
        let ratioBound = bytesIn > Int.max / max(limits.maxRatio, 1) ? Int.max : bytesIn * limits.maxRatio
        if stage.bytesOut > limits.ratioGraceBytes, stage.bytesOut > ratioBound {
            throw BodyDecodingError(
                .tooLarge,
                coding: name,
                "the \(name) body expands more than \(limits.maxRatio)× (\(Self.describe(bytesIn)) to over \(Self.describe(stage.bytesOut))): refused as a decompression bomb (decoding.max_ratio)"
            )
        }
    }

    private static func describe(_ bytes: Int) -> String {
        if bytes >= 1_024 * 1_024, bytes % (1_024 * 1_024) == 0 { return "\(bytes / (1_024 * 1_024)) MiB" }
        if bytes >= 1_024 * 1_024 { return "\(bytes / 1_024) KiB" }
        return "\(bytes) bytes"
    }
}

@available(*, unavailable)
extension BodyDecoder: Sendable {}
