/// Slack tokens by type, following the structure Slack issues:
/// - `xoxb-` bot: team id and bot id (10–13 digits each), then 24–34 alphanumerics;
/// - `xoxp-` user: three ids of 10–13 digits, then 28–34 alphanumerics;
/// - `xoxs-` legacy session: three numeric ids, then 8–64 hex digits;
/// - `xoxa-` / `xoxr-` app access / refresh: an optional single-digit version, then
///   8–48 alphanumerics.
/// Segments are separated by single dashes; a further segment makes the token a
/// different shape and is rejected.
struct SlackTokenDetector: ByteDetector {
    let maximumLength = 120
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        byte == 0x78
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        second == 0x6F
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.dash || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard window.matches("xox", at: position), let kind = window.byte(at: position + 3),
            window.byte(at: position + 4) == ASCII.dash
        else { return nil }
        // Segments of alphanumerics separated by single dashes.
        var segments: [(start: Int, length: Int)] = []
        var index = position + 5
        while segments.count < 6 {
            let length = window.run(from: index, limit: 65, ASCII.isAlnum)
            guard length > 0, length <= 64 else { return nil }
            segments.append((index, length))
            index += length
            guard window.byte(at: index) == ASCII.dash, let next = window.byte(at: index + 1), ASCII.isAlnum(next)
            else { break }
            index += 1
        }
        if let next = window.byte(at: index), ASCII.isAlnum(next) || next == ASCII.underscore { return nil }
        func isNumeric(_ segment: (start: Int, length: Int), _ range: ClosedRange<Int>) -> Bool {
            range.contains(segment.length)
                && window.run(from: segment.start, limit: segment.length, ASCII.isDigit) == segment.length
        }
        let lengths = segments.map(\.length)
        let valid: Bool
        switch kind {
        case 0x62:  // b
            valid = segments.count == 3 && isNumeric(segments[0], 10...13) && isNumeric(segments[1], 10...13)
                && (24...34).contains(lengths[2])
        case 0x70:  // p
            valid = segments.count == 4 && isNumeric(segments[0], 10...13) && isNumeric(segments[1], 10...13)
                && isNumeric(segments[2], 10...13) && (28...34).contains(lengths[3])
        case 0x73:  // s
            valid = segments.count == 4 && isNumeric(segments[0], 1...13) && isNumeric(segments[1], 1...13)
                && isNumeric(segments[2], 1...13) && (8...64).contains(lengths[3])
                && window.run(from: segments[3].start, limit: lengths[3], ASCII.isHex) == lengths[3]
        case 0x61, 0x72:  // a, r
            valid = (segments.count == 1 && (8...48).contains(lengths[0]))
                || (segments.count == 2 && isNumeric(segments[0], 1...1) && (8...48).contains(lengths[1]))
        default:
            valid = false
        }
        return valid ? index - position : nil
    }
}
