/// Payment card numbers: 13–19 digits, Luhn-valid, with a known issuer prefix and a
/// length that issuer uses.
///
/// Digits may be contiguous or grouped by single spaces or single dashes (one kind per
/// number) in groups of 3–6 after a first group of 4, as printed on cards
/// (`4111 1111 1111 1111`, Amex `3782 822463 10005`). Issuers: Visa 4 (13, 16, 19),
/// Mastercard 51–55 and 2221–2720 (16), Amex 34, 37 (15), Discover 6011, 644–649, 65
/// (16–19), JCB 3528–3589 (16–19), Diners 300–305, 36, 38, 39 (14–19), UnionPay 62
/// (16–19). A decimal point glued to either side (`0.4111…`, `…1111.50`) rules a number out; a
/// comma before it does not (CSV fields).
struct PaymentCardDetector: ByteDetector {
    let maximumLength = 24
    let lookahead = 2
    private static let separators: [UInt8] = [ASCII.space, ASCII.dash]

    func canStart(with byte: UInt8) -> Bool {
        byte >= 0x32 && byte <= 0x36
    }

    /// A comma does not block: a CSV field (`id,4111…`) is where card numbers leak. A run of 13+
    /// digits after a thousands separator is not a formatted amount anyway.
    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.dot || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        let scan = DigitGroups(
            at: position,
            in: &window,
            separators: Self.separators,
            allowParentheses: false,
            maximumDigits: 19
        )
        guard let head = scan.groups.first else { return nil }
        var candidates: [(end: Int, digits: Int)] = []
        if scan.groups.count == 1 || head.digits != 4 {
            // Contiguous: the first group alone.
            candidates.append((head.end, head.digits))
        } else {
            var digits = 0
            let separator = scan.groups[1].separator
            for (index, group) in scan.groups.enumerated() {
                if index > 0 && (group.separator != separator || !(3...6).contains(group.digits)) { break }
                digits += group.digits
                if digits > 19 { break }
                candidates.append((group.end, digits))
            }
        }
        for candidate in candidates.reversed() where (13...19).contains(candidate.digits) {
            var digits: [Int] = []
            digits.reserveCapacity(candidate.digits)
            var index = position
            while index < candidate.end {
                if let byte = window.byte(at: index), ASCII.isDigit(byte) { digits.append(ASCII.digitValue(byte)) }
                index += 1
            }
            guard Self.isKnownIssuer(digits), Luhn.isValid(digits) else { continue }
            if let next = window.byte(at: candidate.end) {
                if ASCII.isAlpha(next) || next == ASCII.underscore { continue }
                if next == ASCII.dot, let after = window.byte(at: candidate.end + 1),
                    ASCII.isDigit(after)
                {
                    continue
                }
            }
            return candidate.end - position
        }
        return nil
    }

    /// Whether the digits start with a known issuer prefix and have that issuer's length.
    ///
    /// - Parameters:
    ///   - digits: The card number's digit values.
    static func isKnownIssuer(_ digits: [Int]) -> Bool {
        let count = digits.count
        func prefix(_ length: Int) -> Int {
            digits.prefix(length).reduce(0) { $0 * 10 + $1 }
        }
        switch digits.first {
        case 4: return count == 13 || count == 16 || count == 19
        case 5: return (51...55).contains(prefix(2)) && count == 16
        case 2: return (2221...2720).contains(prefix(4)) && count == 16
        case 3:
            if prefix(2) == 34 || prefix(2) == 37 { return count == 15 }
            if (3528...3589).contains(prefix(4)) { return (16...19).contains(count) }
            if (300...305).contains(prefix(3)) || [36, 38, 39].contains(prefix(2)) { return (14...19).contains(count) }
            return false
        case 6:
            let knownPrefix =
                prefix(4) == 6011 || (644...649).contains(prefix(3)) || prefix(2) == 65 || prefix(2) == 62
            return knownPrefix && (16...19).contains(count)
        default: return false
        }
    }
}
