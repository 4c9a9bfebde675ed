extension Array where Element == UInt8 {
    /// Decodes hex digits, ignoring whitespace, so fixtures can be wrapped across lines.
    ///
    /// - Parameter hex: Pairs of hex digits, possibly separated by whitespace.
    init(hex: String) {
        let digits = hex.unicodeScalars.filter { !$0.properties.isWhitespace }.map { Character($0) }
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    /// The UTF-8 bytes of `text`, for protocol banners and host names.
    ///
    /// - Parameter text: The text to encode.
    init(_ text: String) {
        self = Array(text.utf8)
    }

    /// The big-endian encoding of `value` in `byteCount` bytes.
    ///
    /// - Parameters:
    ///   - value: The integer to encode; must fit in `byteCount` bytes.
    ///   - byteCount: The width of the encoding.
    init(bigEndian value: Int, byteCount: Int) {
        self = (0..<byteCount).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// `self` preceded by its length as a `lengthBytes`-byte big-endian integer (a TLS vector).
    ///
    /// - Parameter lengthBytes: The width of the length prefix.
    func lengthPrefixed(_ lengthBytes: Int) -> [UInt8] {
        [UInt8](bigEndian: count, byteCount: lengthBytes) + self
    }
}
