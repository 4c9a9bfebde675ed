/// A bounds-checked cursor over one length-delimited TLS structure whose bytes may still be arriving.
///
/// Each reader knows the *declared* end of its container and the bytes *received* so far, so every
/// read can tell "this field overruns its container" (malformed for good) from "this field has not
/// arrived yet" (need more data). Lengths are always compared with what is left before they are
/// added to an index, so no arithmetic can overflow and no subscript can trap.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    /// The declared end of this container; may lie beyond `bytes.count` while data is arriving.
    let end: Int

    /// Creates a reader over `bytes[start..<end]`, where `end` may exceed `bytes.count`.
    ///
    /// - Parameters:
    ///   - bytes: Everything received so far.
    ///   - start: Where the container starts.
    ///   - end: Where the container is declared to end.
    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
    }

    /// How many declared bytes are left in this container.
    var remaining: Int { end - position }

    /// Whether every declared byte of this container has been read.
    var isAtEnd: Bool { position >= end }

    /// Reads the next `count` bytes.
    ///
    /// - Parameters:
    ///   - count: The number of bytes to read.
    ///   - field: The TLS field being read, for the error message.
    /// - Throws: `.invalid(.malformed)` if the field overruns the container, `.needMoreData` if it
    ///   has not fully arrived.
    mutating func readBytes(_ count: Int, _ field: String) throws(ParseStop) -> ArraySlice<UInt8> {
        guard count >= 0, count <= end - position else {
            throw .invalid(.malformed("\(field) (\(count) bytes) overruns its container (\(end - position) bytes left)"))
        }
        guard count <= bytes.count - position else { throw .needMoreData }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// Reads a big-endian unsigned integer of `byteCount` (1…3) bytes.
    ///
    /// - Parameters:
    ///   - byteCount: The width of the integer.
    ///   - field: The TLS field being read, for the error message.
    /// - Throws: Like ``readBytes(_:_:)``.
    mutating func readInteger(byteCount: Int, _ field: String) throws(ParseStop) -> Int {
        try readBytes(byteCount, field).reduce(0) { $0 << 8 | Int($1) }
    }

    /// Reads a big-endian `UInt16`.
    ///
    /// - Parameter field: The TLS field being read, for the error message.
    /// - Throws: Like ``readBytes(_:_:)``.
    mutating func readUInt16(_ field: String) throws(ParseStop) -> UInt16 {
        UInt16(try readInteger(byteCount: 2, field))
    }

    /// Reads a length-prefixed vector and returns a reader confined to it; `self` moves past it.
    ///
    /// The vector's bytes need not have arrived yet: reads from the returned reader report that.
    ///
    /// - Parameters:
    ///   - lengthBytes: The width of the length prefix (1 or 2).
    ///   - field: The TLS vector being read, for the error message.
    /// - Throws: `.invalid(.malformed)` if the declared length exceeds this container,
    ///   `.needMoreData` if the length prefix has not arrived.
    mutating func readVector(lengthBytes: Int, _ field: String) throws(ParseStop) -> ByteReader {
        let length = try readInteger(byteCount: lengthBytes, "\(field) length")
        guard length <= end - position else {
            throw .invalid(.malformed("\(field) length \(length) exceeds its container (\(end - position) bytes left)"))
        }
        defer { position += length }
        return ByteReader(bytes, from: position, to: position + length)
    }

    /// Reads a length-prefixed vector's contents.
    ///
    /// - Parameters:
    ///   - lengthBytes: The width of the length prefix (1 or 2).
    ///   - field: The TLS vector being read, for the error message.
    /// - Throws: Like ``readVector(lengthBytes:_:)`` and ``readBytes(_:_:)``.
    mutating func readOpaque(lengthBytes: Int, _ field: String) throws(ParseStop) -> ArraySlice<UInt8> {
        var vector = try readVector(lengthBytes: lengthBytes, field)
        return try vector.readBytes(vector.remaining, field)
    }

    /// Checks that nothing follows the last field of this container.
    ///
    /// - Parameter container: The TLS structure, for the error message.
    /// - Throws: `.invalid(.malformed)` if declared bytes are left over.
    func expectEnd(of container: String) throws(ParseStop) {
        guard position == end else {
            throw .invalid(.malformed("\(container) has \(end - position) unexpected trailing bytes"))
        }
    }
}
