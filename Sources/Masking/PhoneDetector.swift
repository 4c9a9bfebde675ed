/// Telephone numbers in E.164 and common US, UK and German national formats.
///
/// A bare run of digits is never a phone number here: order numbers, timestamps and ids
/// look the same. A match needs a leading `+` (E.164: 8–15 digits, first digit 1–9,
/// groups separated by single spaces, dashes or dots, of two digits or more but for the one
/// after the country code (`+33 1 42 68 53 00`), an optional `(0)` trunk group), or
/// a national group structure with separators or parentheses:
/// - NANP: `[1 ]NXX NXX XXXX` with `-`, `.`, space or `(NXX)`, area code and exchange
///   starting with 2–9 (`415-555-0100`, `(415) 555-0100`, `1-800-555-0199`);
/// - trunk-0 (UK, DE): a first group of 3–5 digits starting `0[1-9]`, further groups of at
///   least 3 digits separated by space, `-` or `/`, 9–12 digits in total
///   (`020 7946 0958`, `07700 900123`, `030/901820`).
/// Dotted dates (`01.02.2024`), ISO dates and versions do not fit any of these shapes.
struct PhoneDetector: ByteDetector {
    let maximumLength = 40
    let lookahead = 2
    private static let dialSeparators: [UInt8] = [ASCII.space, ASCII.dash, ASCII.dot]
    private static let trunkSeparators: [UInt8] = [ASCII.space, ASCII.dash, 0x2F]

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || byte == 0x2B || byte == 0x28
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == 0x2B || byte == ASCII.dot || byte == ASCII.dash
            || byte == 0x2F || byte == 0x28 || byte == 0x29 || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let first = window.byte(at: position) else { return nil }
        let end: Int?
        if first == 0x2B {
            end = international(at: position + 1, in: &window)
        } else {
            end = max(nanp(at: position, in: &window) ?? 0, trunk(at: position, in: &window) ?? 0)
        }
        guard let end, end > position, end - position <= maximumLength else { return nil }
        // Right boundary: no letter or underscore glued to the number.
        if let next = window.byte(at: end), ASCII.isAlpha(next) || next == ASCII.underscore { return nil }
        return end - position
    }

    /// E.164 after the `+`; returns the end index of the longest valid group prefix.
    private func international(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let first = window.byte(at: position), first != 0x30, ASCII.isDigit(first) else { return nil }
        let scan = DigitGroups(
            at: position,
            in: &window,
            separators: Self.dialSeparators,
            allowParentheses: true,
            maximumDigits: 15
        )
        var digits = 0
        var best: Int?
        var separator: UInt8 = 0
        for (index, group) in scan.groups.enumerated() {
            if index > 0 {
                if group.separator != 0 {
                    if separator != 0 && group.separator != separator { break }
                    separator = group.separator
                }
                // Groups after the country code have at least two digits, except "(0)" and the
                // one right after the country code (French `+33 1 42…`, Dutch mobiles `+31 6 …`).
                if group.digits < 2 && !(group.parenthesized && group.digits == 1) && index != 1 { break }
            } else if group.parenthesized {
                return nil
            }
            let trunkZero = group.parenthesized && group.digits == 1
            if !trunkZero { digits += group.digits }
            if digits > 15 { break }
            if digits >= 8 && !trunkZero { best = group.end }
        }
        return best
    }

    /// NANP with separators; returns the end index.
    private func nanp(at position: Int, in window: inout ScanWindow) -> Int? {
        let scan = DigitGroups(
            at: position,
            in: &window,
            separators: Self.dialSeparators,
            allowParentheses: true,
            maximumDigits: 11
        )
        var groups = scan.groups[...]
        if groups.count >= 4, groups[0].digits == 1, !groups[0].parenthesized,
            window.byte(at: groups[0].start) == 0x31
        {
            groups = groups.dropFirst()
        }
        guard groups.count >= 3 else { return nil }
        let area = groups[groups.startIndex]
        let exchange = groups[groups.startIndex + 1]
        let line = groups[groups.startIndex + 2]
        guard area.digits == 3, exchange.digits == 3, line.digits == 4, !exchange.parenthesized, !line.parenthesized,
            let areaFirst = window.byte(at: area.start), areaFirst >= 0x32,
            let exchangeFirst = window.byte(at: exchange.start), exchangeFirst >= 0x32
        else { return nil }
        // Without parentheses the two separators must agree (`415-555.0100` is not a number
        // anyone writes).
        if !area.parenthesized && exchange.separator != line.separator { return nil }
        // A further group glued with the same separator makes it a longer identifier.
        if groups.count > 3, groups[groups.startIndex + 3].separator == line.separator,
            line.separator != ASCII.space
        {
            return nil
        }
        return line.end
    }

    /// Trunk-0 national numbers (UK, DE); returns the end index.
    private func trunk(at position: Int, in window: inout ScanWindow) -> Int? {
        let scan = DigitGroups(
            at: position,
            in: &window,
            separators: Self.trunkSeparators,
            allowParentheses: true,
            maximumDigits: 12
        )
        guard scan.groups.count >= 2 else { return nil }
        let head = scan.groups[0]
        guard (3...5).contains(head.digits), window.byte(at: head.start) == 0x30,
            let second = window.byte(at: head.start + 1), second != 0x30
        else { return nil }
        var digits = head.digits
        var best: Int?
        for group in scan.groups.dropFirst() {
            guard group.digits >= 3, !group.parenthesized else { break }
            digits += group.digits
            if digits > 12 { break }
            if digits >= 9 { best = group.end }
        }
        return best
    }
}
