/// Base62 with the alphabet `0-9A-Za-z`, as used by GitHub and npm token checksums.
enum Base62 {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Encodes `value` most significant digit first, left-padded with `0` to `width`.
    ///
    /// - Parameters:
    ///   - value: The number.
    ///   - width: The minimum number of digits.
    static func encode(_ value: UInt32, width: Int) -> [UInt8] {
        var digits: [UInt8] = []
        var rest = value
        while rest > 0 {
            digits.append(alphabet[Int(rest % 62)])
            rest /= 62
        }
        while digits.count < width { digits.append(0x30) }
        return digits.reversed()
    }

    /// The CRC-32 checksum suffix GitHub and npm append to a token's random part.
    ///
    /// - Parameters:
    ///   - random: The random part (30 base62 characters for `ghp_` and `npm_`).
    static func checksumSuffix(of random: some Sequence<UInt8>) -> [UInt8] {
        encode(CRC32.checksum(random), width: 6)
    }
}
