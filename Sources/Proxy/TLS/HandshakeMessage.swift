/// The first handshake message of a stream, reassembled from the TLS records received so far.
///
/// A ClientHello may be split across several handshake records (each at most 2^14 bytes) and
/// those across many TCP reads. This type walks the record headers, validates them as far as they
/// have arrived, and concatenates their payloads so the field parser sees one contiguous message.
struct HandshakeMessage {
    /// The largest plaintext record payload TLS allows (RFC 8446 §5.1).
    static let maximumRecordLength = 1 << 14
    private static let recordHeaderLength = 5
    private static let handshakeHeaderLength = 4

    /// The handshake message bytes (4-byte header and body) received so far.
    private(set) var bytes: [UInt8] = []
    /// 4 + the declared body length, once the handshake header has arrived.
    private(set) var declaredEnd: Int?
    /// The stream offset just past the record that completed the message, once it has.
    private(set) var recordsEnd: Int?

    /// Reassembles the handshake message from the start of a stream.
    ///
    /// - Parameters:
    ///   - stream: The bytes received so far, at most `maximumSize` of them.
    ///   - maximumSize: The bound on the bytes the records may span.
    /// - Throws: `.notTLS`, `.notHandshake`, `.unsupportedVersion` for a wrong first record,
    ///   `.notClientHello` for another handshake type, `.malformed` for invalid records,
    ///   `.tooLarge` when the message cannot fit in `maximumSize`.
    init(reassembling stream: [UInt8], maximumSize: Int) throws(ClientHelloError) {
        var offset = 0
        while recordsEnd == nil {
            guard let length = try Self.recordLength(in: stream, at: offset, maximumSize: maximumSize) else { return }
            let payloadStart = offset + Self.recordHeaderLength
            let recordEnd = payloadStart + length
            let messageLengthAfterRecord = bytes.count + length
            bytes += stream[payloadStart..<min(recordEnd, stream.count)]
            try readHandshakeHeader(maximumSize: maximumSize)
            if let declaredEnd, messageLengthAfterRecord > declaredEnd {
                throw .malformed("a handshake record carries \(messageLengthAfterRecord - declaredEnd) bytes past the end of the ClientHello")
            }
            guard recordEnd <= stream.count else { return }
            offset = recordEnd
            if bytes.count == declaredEnd { recordsEnd = offset }
        }
    }

    /// Validates the record header at `offset` as far as it has arrived.
    ///
    /// - Returns: The record's payload length once all five header bytes are in, else `nil`.
    private static func recordLength(in stream: [UInt8], at offset: Int, maximumSize: Int) throws(ClientHelloError) -> Int? {
        let header = stream[offset..<min(offset + recordHeaderLength, stream.count)]
        if offset == 0 {
            guard try firstRecordLooksLikeTLS(header) else { return try incompleteHeader(at: offset, maximumSize: maximumSize) }
        } else if let type = header.first, type != 22 {
            throw .malformed("a record of content type \(type) interrupts the ClientHello")
        }
        if header.count >= 2, header[offset + 1] != 3 {
            let error = "record version major byte is \(header[offset + 1]), not 3"
            throw offset == 0 ? .notTLS(error) : .malformed(error)
        }
        guard header.count == recordHeaderLength else { return try incompleteHeader(at: offset, maximumSize: maximumSize) }
        let length = Int(header[offset + 3]) << 8 | Int(header[offset + 4])
        guard length > 0 else { throw .malformed("zero-length handshake record") }
        guard length <= maximumRecordLength else {
            throw .malformed("record length \(length) exceeds the TLS maximum of \(maximumRecordLength)")
        }
        guard offset + recordHeaderLength + length <= maximumSize else {
            throw .tooLarge("handshake records extend to byte \(offset + recordHeaderLength + length), past the \(maximumSize)-byte limit")
        }
        return length
    }

    /// Handles a record header that has not fully arrived: wait for it, unless it cannot fit.
    ///
    /// - Returns: `nil`, meaning "need more data".
    private static func incompleteHeader(at offset: Int, maximumSize: Int) throws(ClientHelloError) -> Int? {
        guard offset + recordHeaderLength <= maximumSize else {
            throw .tooLarge("the ClientHello needs a record header past the \(maximumSize)-byte limit")
        }
        return nil
    }

    /// Classifies the first bytes of the stream.
    ///
    /// - Returns: `true` for a handshake record, `false` if more bytes are needed to decide.
    private static func firstRecordLooksLikeTLS(_ header: ArraySlice<UInt8>) throws(ClientHelloError) -> Bool {
        guard let type = header.first else { return false }
        switch type {
        case 22:
            return true
        case 20, 21, 23, 24:
            throw .notHandshake("the first TLS record has content type \(type), not handshake (22)")
        case 0x80...:
            // SSLv2 record header: 2-byte length with the high bit set, then msg_type 1 (CLIENT-HELLO).
            guard header.count >= 3 else { return false }
            guard header[header.startIndex + 2] == 1 else {
                throw .notTLS("first byte 0x\(String(type, radix: 16)) is not a TLS record type")
            }
            throw .unsupportedVersion("SSLv2-compatible ClientHello; only TLS record-layer hellos are supported")
        default:
            throw .notTLS("first byte 0x\(String(type, radix: 16)) is not a TLS record type")
        }
    }

    /// Checks the handshake type and reads the declared length once those bytes are in.
    private mutating func readHandshakeHeader(maximumSize: Int) throws(ClientHelloError) {
        guard declaredEnd == nil, let type = bytes.first else { return }
        guard type == 1 else {
            throw .notClientHello("the first handshake message has type \(type), not ClientHello (1)")
        }
        guard bytes.count >= Self.handshakeHeaderLength else { return }
        let length = Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        let end = Self.handshakeHeaderLength + length
        guard Self.recordHeaderLength + end <= maximumSize else {
            throw .tooLarge("the ClientHello declares \(length) bytes, past the \(maximumSize)-byte limit")
        }
        declaredEnd = end
    }
}
