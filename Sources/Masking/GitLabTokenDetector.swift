/// GitLab personal, project and group access tokens (`glpat-`).
///
/// Two layouts:
/// - legacy: `glpat-` + 20 of `[A-Za-z0-9_-]`;
/// - routable (GitLab's Cells routable tokens, 2024 on): `glpat-` + a base64url payload of
///   27–300 characters + `.` + a 2-character version + `.` + 9 characters (payload length
///   and CRC-32, base36), the last 11 in `[0-9a-z]`.
///
/// The structure is checked, not the routable CRC-32 (its input is specified in GitLab's
/// design documents only); the `glpat-` prefix with either exact layout does not occur by
/// chance. A token-class character right after either layout rejects it. At most 319 bytes.
struct GitLabTokenDetector: ByteDetector {
    static let legacyBodyLength = 20
    static let routablePayloadLength = 27...300
    let maximumLength = 6 + 300 + 13
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        byte == 0x67  // g
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        second == 0x6C  // l
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard window.matches("glpat-", at: position) else { return nil }
        let start = position + 6
        let payload = window.run(from: start, limit: Self.routablePayloadLength.upperBound + 1, ASCII.isBase64URL)
        let end = start + payload
        if payload == Self.legacyBodyLength {
            return Self.endsWord(at: end, in: &window) ? end - position : nil
        }
        // Routable: payload, `.`, version (2), `.`, length and CRC (9).
        guard Self.routablePayloadLength.contains(payload), window.byte(at: end) == ASCII.dot,
            window.run(from: end + 1, limit: 2, Self.isBase36) == 2, window.byte(at: end + 3) == ASCII.dot,
            window.run(from: end + 4, limit: 9, Self.isBase36) == 9, Self.endsWord(at: end + 13, in: &window)
        else { return nil }
        return end + 13 - position
    }

    /// Whether no token character (`[A-Za-z0-9_-]` or non-ASCII) stands at `index`.
    private static func endsWord(at index: Int, in window: inout ScanWindow) -> Bool {
        guard let next = window.byte(at: index) else { return true }
        return !(ASCII.isBase64URL(next) || next >= 0x80)
    }

    @inline(__always)
    private static func isBase36(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || ASCII.isLower(byte)
    }
}
