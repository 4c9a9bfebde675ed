internal import CCompression

/// Decodes `br` bodies (RFC 7932) with the brotli library's streaming decoder.
final class BrotliDecompressor: Decompressor {
    private let state: OpaquePointer
    private let scratch: UnsafeMutableRawBufferPointer
    private var streamEnded = false
    /// Compressed bytes taken in, for the ratio check and error messages.
    private var consumed = 0
    var consumedBytes: Int { consumed }

    /// - Throws: ``BodyDecodingError`` when the decoder cannot be allocated.
    init() throws(BodyDecodingError) {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
            throw BodyDecodingError(
                .tooLarge,
                coding: "br",
                "the brotli decoder could not be allocated (out of memory)"
            )
        }
        self.state = state
        scratch = .allocate(byteCount: decompressorChunkSize, alignment: 1)
    }

    deinit {
        BrotliDecoderDestroyInstance(state)
        scratch.deallocate()
    }

    func decompress(
        _ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(BodyDecodingError) -> Void
    ) throws(BodyDecodingError) {
        guard !input.isEmpty else { return }
        guard !streamEnded else { throw trailing(input.count) }
        var availableIn = input.count
        var nextIn: UnsafePointer<UInt8>? = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            var availableOut = scratch.count
            var nextOut: UnsafeMutablePointer<UInt8>? = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let before = availableIn
            let result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
            consumed += before - availableIn
            let produced = scratch.count - availableOut
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: scratch[..<produced])) }
            switch result {
            case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                continue
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                return
            case BROTLI_DECODER_RESULT_SUCCESS:
                streamEnded = true
                if availableIn > 0 { throw trailing(availableIn) }
                return
            default:
                let reason = String(cString: BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state)))
                throw BodyDecodingError(
                    .malformed,
                    coding: "br",
                    "the br body is malformed near compressed byte \(consumed): brotli error \(reason)"
                )
            }
        }
    }

    func finish() throws(BodyDecodingError) {
        guard consumed > 0, !streamEnded else { return }  // an empty body is empty in any coding
        throw BodyDecodingError(
            .truncated,
            coding: "br",
            "the br body ends after \(consumed) bytes, before its compressed stream does (truncated)"
        )
    }

    private func trailing(_ count: Int) -> BodyDecodingError {
        BodyDecodingError(
            .malformed,
            coding: "br",
            "the br body has \(count) bytes after the end of its compressed stream"
        )
    }
}
