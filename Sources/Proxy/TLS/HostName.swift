/// Validates and normalizes the `host_name` of a server_name extension.
///
/// RFC 6066 says `host_name` is an ASCII DNS name without a trailing dot and never an IP literal.
/// The proxy routes and logs by this name, so anything that is not a plausible DNS name (spaces,
/// control characters, raw UTF-8, empty labels) is rejected instead of passed on.
enum HostName {
    static let maximumLength = 253
    static let maximumLabelLength = 63

    /// Validates a `host_name` and returns it in canonical form.
    ///
    /// Accepts letters, digits, `-` and, as real-world DNS (and Go's `net` package) does, `_`;
    /// labels of 1…63 bytes; at most 253 bytes after dropping one trailing dot.
    ///
    /// - Parameter bytes: The raw `host_name` bytes.
    /// - Returns: The lowercased name without a trailing dot, or `nil` for an IPv4/IPv6 literal.
    /// - Throws: `.invalid(.malformed)` if the bytes are not a valid DNS name.
    static func normalized(_ bytes: ArraySlice<UInt8>) throws(ParseStop) -> String? {
        var name = bytes
        if name.last == UInt8(ascii: ".") { name.removeLast() }
        guard !name.isEmpty else { throw .invalid(.malformed("server_name host_name is empty")) }
        guard name.count <= maximumLength else {
            throw .invalid(.malformed("server_name host_name is \(name.count) bytes, more than \(maximumLength)"))
        }
        if IPAddressLiteral.matches(name) { return nil }

        var labelLength = 0
        for (offset, byte) in name.enumerated() {
            if byte == UInt8(ascii: ".") {
                guard labelLength > 0 else { throw .invalid(.malformed("server_name host_name has an empty label")) }
                labelLength = 0
            } else if isAllowed(byte) {
                labelLength += 1
                guard labelLength <= maximumLabelLength else {
                    throw .invalid(.malformed("server_name host_name has a label longer than \(maximumLabelLength) bytes"))
                }
            } else {
                let hex = String(byte, radix: 16)
                throw .invalid(.malformed("server_name host_name has byte 0x\(hex) at offset \(offset), not allowed in a DNS name"))
            }
        }
        guard labelLength > 0 else { throw .invalid(.malformed("server_name host_name has an empty label")) }
        return String(decoding: name.map(lowercased), as: UTF8.self)
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
