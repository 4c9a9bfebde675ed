/// Recognizes textual IPv4 and IPv6 addresses.
///
/// RFC 6066 forbids IP literals in SNI, yet clients send them (e.g. `openssl s_client
/// -servername 127.0.0.1`). The proxy treats such a hello as having no server name, so it must
/// tell an address from a host name before validating the latter.
enum IPAddressLiteral {
    private static let dot = UInt8(ascii: ".")
    private static let colon = UInt8(ascii: ":")

    /// Whether `text` is a dotted-quad IPv4 address or an IPv6 address (optionally in brackets).
    ///
    /// - Parameter text: ASCII bytes of a candidate name.
    static func matches(_ text: ArraySlice<UInt8>) -> Bool {
        isIPv4(text) || isIPv6(text)
    }

    /// Whether `text` is four decimal octets 0…255 separated by dots, e.g. `127.0.0.1`.
    ///
    /// - Parameter text: ASCII bytes of a candidate address.
    static func isIPv4(_ text: ArraySlice<UInt8>) -> Bool {
        let parts = text.split(separator: dot, omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count)
                && part.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                && part.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 255
        }
    }

    /// Whether `text` is an RFC 4291 textual IPv6 address, e.g. `::1` or `::ffff:192.0.2.1`.
    ///
    /// - Parameter text: ASCII bytes of a candidate address.
    static func isIPv6(_ text: ArraySlice<UInt8>) -> Bool {
        var text = text
        if text.count >= 2, text.first == UInt8(ascii: "["), text.last == UInt8(ascii: "]") {
            text = text.dropFirst().dropLast()
        }
        let doubleColons = text.indices.dropLast().filter { text[$0] == colon && text[$0 + 1] == colon }
        switch doubleColons.count {
        case 0:
            return groupCount(text, allowingIPv4Suffix: true) == 8
        case 1:
            let index = doubleColons[0]
            guard let head = groupCount(text[..<index], allowingIPv4Suffix: false),
                let tail = groupCount(text[(index + 2)...], allowingIPv4Suffix: true)
            else { return false }
            return head + tail <= 7
        default:
            return false
        }
    }

    /// Counts the 16-bit groups in a run of colon-separated hex groups; an IPv4 suffix counts as two.
    private static func groupCount(_ text: ArraySlice<UInt8>, allowingIPv4Suffix: Bool) -> Int? {
        guard !text.isEmpty else { return 0 }
        let groups = text.split(separator: colon, omittingEmptySubsequences: false)
        var count = 0
        for (index, group) in groups.enumerated() {
            if allowingIPv4Suffix, index == groups.count - 1, isIPv4(group) {
                count += 2
            } else if (1...4).contains(group.count), group.allSatisfy(\.isHexDigit) {
                count += 1
            } else {
                return nil
            }
        }
        return count
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }
}
