/// High-entropy values assigned to a secret-sounding key: `password=…`, `"api_key": "…"`,
/// `client_secret: …`, `Authorization: Bearer …`.
///
/// The key word (case-insensitive, `-` and `_` interchangeable, as the end of the key
/// name) is one of `password`, `passwd`, `secret`, `token`, `api_key`, `apikey`,
/// `access_key`, `accesskey`, `private_key`, `privatekey`, or `bearer` followed by a
/// space. The value is 16–256 characters of `[A-Za-z0-9!#$%*+\-./:=?@^_|~]` with a
/// Shannon entropy of at least 3.0 bits per character; words, repeated characters and
/// template references (`${{ secrets.X }}`, `<your key>`) fall below or outside, and
/// placeholders that pass (`YOUR_API_KEY_HERE`, `CHANGE_ME`, `$DB_PASSWORD`, `sk-…****…`)
/// are rejected by shape (see ``SecretPlaceholder``). A value longer than 256 characters
/// is not matched (a JWT or key has its own detector).
struct GenericSecretDetector: ByteDetector {
    static let minimumLength = 16
    static let minimumEntropy = 3.0
    let maximumLength = 256
    let lookahead = 2
    let context = KeywordContext(keywords: [
        .init("password"), .init("passwd"), .init("secret"), .init("token"), .init("api_key"),
        .init("apikey"), .init("access_key"), .init("accesskey"), .init("private_key"),
        .init("privatekey"), .init("bearer", spaceSeparates: true),
    ])

    var leftContext: Int { context.reach }

    func canStart(with byte: UInt8) -> Bool {
        Self.isValue(byte)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        !KeywordContext.isValueDelimiter(byte)
    }

    func isBlocked(after previous: UInt8, preceded beforePrevious: UInt8) -> Bool {
        KeywordContext.rulesOut(previous: previous, beforePrevious: beforePrevious)
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard context.precedes(position, in: &window) else { return nil }
        let count = window.run(from: position, limit: maximumLength + 1, Self.isValue)
        guard count >= Self.minimumLength, count <= maximumLength else { return nil }
        var value: [UInt8] = []
        value.reserveCapacity(count)
        for offset in 0..<count { value.append(window.byte(at: position + offset) ?? 0) }
        guard ShannonEntropy.bitsPerByte(value) >= Self.minimumEntropy, !SecretPlaceholder.matches(value) else {
            return nil
        }
        return count
    }

    @inline(__always)
    static func isValue(_ byte: UInt8) -> Bool {
        if ASCII.isAlnum(byte) { return true }
        switch byte {
        case 0x21, 0x23, 0x24, 0x25, 0x2A, 0x2B, 0x2D, 0x2E, 0x2F, 0x3A, 0x3D, 0x3F, 0x40, 0x5E, 0x5F, 0x7C, 0x7E:
            return true
        default:
            return false
        }
    }
}
