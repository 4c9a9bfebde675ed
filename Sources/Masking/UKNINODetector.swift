/// UK National Insurance numbers: two prefix letters, six digits, suffix A–D.
///
/// Written compact (`AB123456C`) or in the HMRC-printed form (`AB 12 34 56 C`). The
/// prefix follows HMRC's allocation rules: the first letter is not D, F, I, Q, U or V,
/// the second not D, F, I, O, Q, U or V, and BG, GB, KN, NK, NT, TN and ZZ are never
/// issued. There is no check digit, so these rules and the mandatory suffix carry the
/// precision.
struct UKNINODetector: ByteDetector {
    let maximumLength = 13
    let lookahead = 2

    private static let excludedPrefixes: Set<String> = ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"]

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isUpper(byte) && !"DFIQUV".utf8.contains(byte)
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        ASCII.isUpper(second)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let first = window.byte(at: position), let second = window.byte(at: position + 1),
            ASCII.isUpper(second), !"DFIOQUV".utf8.contains(second),
            !Self.excludedPrefixes.contains(String(decoding: [first, second], as: UTF8.self))
        else { return nil }
        let spaced = window.byte(at: position + 2) == ASCII.space
        var index = position + 2
        for _ in 0..<3 {
            if spaced {
                guard window.byte(at: index) == ASCII.space else { return nil }
                index += 1
            }
            guard window.run(from: index, limit: 2, ASCII.isDigit) == 2 else { return nil }
            index += 2
        }
        if spaced {
            guard window.byte(at: index) == ASCII.space else { return nil }
            index += 1
        }
        guard let suffix = window.byte(at: index), suffix >= 0x41, suffix <= 0x44 else { return nil }
        index += 1
        if let next = window.byte(at: index), ASCII.isAlnum(next) || next == ASCII.underscore || next >= 0x80 {
            return nil
        }
        return index - position
    }
}
