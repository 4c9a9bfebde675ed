internal import CCompression

/// Decodes `gzip` and `deflate` bodies with zlib's `inflate`.
///
/// `gzip` (RFC 1952) may be several members back to back, as `cat a.gz b.gz` or pigz make them;
/// each is decoded in turn. `deflate` is meant to be a zlib stream (RFC 1950 around RFC 1951)
/// but some servers send raw deflate: the first two bytes decide (a valid zlib header has
/// compression method 8, a window of at most 32 KiB and a check making it a multiple of 31),
/// which is what browsers do.
final class ZlibDecompressor: Decompressor {
    private let coding: ContentCoding
    /// zlib keeps a pointer back to its `z_stream`, so it lives at a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>
    private let scratch: UnsafeMutableRawBufferPointer
    private var initialised = false
    /// `deflate` only: the first bytes, held until the wrapper (zlib or raw) is known.
    private var leading: [UInt8] = []
    /// The current stream (or gzip member) has reached its end.
    private var streamEnded = false
    /// Compressed bytes taken in, for the ratio check and error messages.
    private var consumed = 0
    var consumedBytes: Int { consumed }
    private var members = 0

    /// - Parameter coding: `.gzip` or `.deflate`.
    init(coding: ContentCoding) {
        precondition(coding == .gzip || coding == .deflate, "zlib decodes gzip and deflate")
        self.coding = coding
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        scratch = .allocate(byteCount: decompressorChunkSize, alignment: 1)
    }

    deinit {
        if initialised { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    func decompress(
        _ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(BodyDecodingError) -> Void
    ) throws(BodyDecodingError) {
        guard !input.isEmpty else { return }
        if initialised {
            try inflate(input, emit: emit)
            return
        }
        if coding == .gzip {
            try start(windowBits: 31)
            try inflate(input, emit: emit)
            return
        }
        // deflate: look at the first two bytes before choosing the wrapper.
        leading.append(contentsOf: input)
        guard leading.count >= 2 else { return }
        let held = leading
        leading = []
        try start(windowBits: Self.isZlibHeader(held[0], held[1]) ? 15 : -15)
        var thrown: BodyDecodingError?
        held.withUnsafeBytes { bytes in
            do throws(BodyDecodingError) { try inflate(bytes, emit: emit) } catch { thrown = error }
        }
        if let thrown { throw thrown }
    }

    func finish() throws(BodyDecodingError) {
        guard consumed > 0 || !leading.isEmpty else { return }  // an empty body is empty in any coding
        guard streamEnded else {
            throw BodyDecodingError(
                .truncated,
                coding: coding.rawValue,
                "the \(coding.rawValue) body ends after \(consumed + leading.count) bytes, before its compressed stream does (truncated)"
            )
        }
    }

    /// Whether two bytes open a zlib stream (RFC 1950 §2.2): method 8, window ≤ 32 KiB, FCHECK.
    static func isZlibHeader(_ cmf: UInt8, _ flg: UInt8) -> Bool {
        cmf & 0x0F == 8 && cmf >> 4 <= 7 && (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0
    }

    private func start(windowBits: Int32) throws(BodyDecodingError) {
        let status = CCompression_inflateInit2(stream, windowBits)
        guard status == Z_OK else {
            throw BodyDecodingError(
                .malformed,
                coding: coding.rawValue,
                "zlib could not start a \(coding.rawValue) decoder (error \(status))"
            )
        }
        initialised = true
        members = 1
    }

    private func inflate(
        _ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(BodyDecodingError) -> Void
    ) throws(BodyDecodingError) {
        let base = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            if streamEnded {
                guard stream.pointee.avail_in > 0 else { return }
                // More bytes after the end: another gzip member, or an error.
                guard coding == .gzip else {
                    throw BodyDecodingError(
                        .malformed,
                        coding: coding.rawValue,
                        "the deflate body has \(stream.pointee.avail_in) bytes after the end of its compressed stream"
                    )
                }
                inflateReset(stream)
                streamEnded = false
                members += 1
            }
            let before = Int(stream.pointee.avail_in)
            stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(scratch.count)
            let status = CCompression.inflate(stream, Z_NO_FLUSH)
            consumed += before - Int(stream.pointee.avail_in)
            let produced = scratch.count - Int(stream.pointee.avail_out)
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: scratch[..<produced])) }
            switch status {
            case Z_OK:
                // Output filled the scratch buffer: there may be more; else all input is taken.
                if stream.pointee.avail_out > 0 && stream.pointee.avail_in == 0 { return }
            case Z_STREAM_END:
                streamEnded = true
            case Z_BUF_ERROR:
                return  // no progress possible: all input is consumed and nothing is pending
            case Z_NEED_DICT:
                throw malformed("it asks for a preset dictionary, which HTTP cannot supply")
            case Z_MEM_ERROR:
                throw BodyDecodingError(
                    .tooLarge,
                    coding: coding.rawValue,
                    "zlib ran out of memory decoding the \(coding.rawValue) body"
                )
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                if members > 1 && stream.pointee.total_in < 10 {
                    // Failed inside what should have been the next member's 10-byte header.
                    throw malformed(
                        "the bytes after gzip member \(members - 1) are not another gzip member (\(reason))"
                    )
                }
                throw malformed(reason)
            }
        }
    }

    private func malformed(_ reason: String) -> BodyDecodingError {
        BodyDecodingError(
            .malformed,
            coding: coding.rawValue,
            "the \(coding.rawValue) body is malformed near compressed byte \(consumed): \(reason)"
        )
    }
}
