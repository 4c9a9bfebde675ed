/// One content coding's decoder: compressed bytes in, decoded bytes out, as they stream.
///
/// A class owns the C library's state (and frees it in `deinit`); ``BodyDecoder`` chains them
/// and enforces the size limits on what they emit.
protocol Decompressor: AnyObject {
    /// Compressed bytes taken in so far (fed bytes a decoder still holds are not counted).
    var consumedBytes: Int { get }

    /// Decodes `input`, handing each piece of output to `emit` as soon as it is produced.
    ///
    /// - Parameters:
    ///   - input: The next compressed bytes (may be empty).
    ///   - emit: Receives decoded bytes, valid only during the call; it may throw to stop decoding.
    /// - Throws: ``BodyDecodingError`` for malformed input, or what `emit` throws.
    func decompress(
        _ input: UnsafeRawBufferPointer,
        emit: (UnsafeRawBufferPointer) throws(BodyDecodingError) -> Void
    ) throws(BodyDecodingError)

    /// Checks that the compressed stream ended: no more input is coming.
    ///
    /// - Throws: ``BodyDecodingError`` with `.truncated` when the stream stopped part-way.
    func finish() throws(BodyDecodingError)
}

/// The size of the scratch buffer each decompressor decodes into.
let decompressorChunkSize = 16 * 1_024
