/// US Social Security numbers written `AAA-GG-SSSS` or `AAA GG SSSS`.
///
/// Nine bare digits are not matched: too many ids, phone fragments and amounts look the
/// same. The Social Security Administration never issues area 000, 666 or 900–999, group
/// 00 or serial 0000, and the numbers 078-05-1120 (the Woolworth wallet card),
/// 219-09-9999 (an SSA advertisement) and 123-45-6789 are published samples.
struct USSSNDetector: ByteDetector {
    let maximumLength = 11
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isDigit(byte)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.dash || byte == ASCII.dot || byte == 0x2F
            || byte == 0x2B || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard window.run(from: position, limit: 4, ASCII.isDigit) == 3,
            let separator = window.byte(at: position + 3), separator == ASCII.dash || separator == ASCII.space,
            window.run(from: position + 4, limit: 3, ASCII.isDigit) == 2,
            window.byte(at: position + 6) == separator,
            window.run(from: position + 7, limit: 5, ASCII.isDigit) == 4
        else { return nil }
        if let next = window.byte(at: position + 11) {
            if ASCII.isAlpha(next) || next == ASCII.underscore || next >= 0x80 { return nil }
            if next == ASCII.dash || next == ASCII.dot || next == 0x2F, let after = window.byte(at: position + 12),
                ASCII.isDigit(after)
            {
                return nil
            }
        }
        var value = [Int]()
        for offset in [0, 1, 2, 4, 5, 7, 8, 9, 10] {
            value.append(ASCII.digitValue(window.byte(at: position + offset) ?? 0x30))
        }
        let area = value[0] * 100 + value[1] * 10 + value[2]
        let group = value[3] * 10 + value[4]
        let serial = value[5...].reduce(0) { $0 * 10 + $1 }
        guard Self.isIssuable(area: area, group: group, serial: serial) else { return nil }
        return 11
    }

    /// Whether the parts could belong to an issued number.
    ///
    /// - Parameters:
    ///   - area: The first three digits.
    ///   - group: The middle two digits.
    ///   - serial: The last four digits.
    static func isIssuable(area: Int, group: Int, serial: Int) -> Bool {
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        let samples: [(Int, Int, Int)] = [(78, 5, 1120), (219, 9, 9999), (123, 45, 6789)]
        return !samples.contains { $0 == (area, group, serial) }
    }
}
