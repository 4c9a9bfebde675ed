/// Digit groups separated by single separators, the shape shared by phone and card
/// numbers (`+44 (0)20 7946 0958`, `4111-1111-1111-1111`).
///
/// The scanner only records the groups; each detector decides which prefix of groups
/// forms a valid number, so that a trailing unrelated number (`… 0100 2 times`) does not
/// make the whole candidate fail.
struct DigitGroups {
    struct Group {
        /// Number of digits.
        var digits: Int
        /// Buffer index of the first digit.
        var start: Int
        /// Buffer index one past the group, including a closing parenthesis.
        var end: Int
        /// The separator before the group (0 for the first group or none).
        var separator: UInt8
        /// Whether the digits were in parentheses.
        var parenthesized: Bool
    }

    var groups: [Group] = []

    /// Scans groups from `position`.
    ///
    /// - Parameters:
    ///   - position: Where the first group (or its parenthesis) starts.
    ///   - window: The readable neighbourhood.
    ///   - separators: The separator bytes allowed between groups.
    ///   - allowParentheses: Whether a group may be written `(123)`.
    ///   - maximumDigits: Stop after this many digits in total.
    init(
        at position: Int,
        in window: inout ScanWindow,
        separators: [UInt8],
        allowParentheses: Bool,
        maximumDigits: Int
    ) {
        var index = position
        var separator: UInt8 = 0
        var total = 0
        while total <= maximumDigits {
            var start = index
            let parenthesized = allowParentheses && window.byte(at: index) == 0x28
            if parenthesized { start += 1 }
            let count = window.run(from: start, limit: maximumDigits + 1 - total, ASCII.isDigit)
            guard count > 0 else { break }
            var end = start + count
            if parenthesized {
                guard window.byte(at: end) == 0x29 else { break }
                end += 1
            }
            groups.append(Group(digits: count, start: start, end: end, separator: separator, parenthesized: parenthesized))
            total += count
            index = end
            // A separator must be followed by a digit or an opening parenthesis.
            guard let next = window.byte(at: index) else { break }
            if separators.contains(next), let after = window.byte(at: index + 1),
                ASCII.isDigit(after) || (allowParentheses && after == 0x28)
            {
                separator = next
                index += 1
            } else if parenthesized && ASCII.isDigit(next) {
                separator = 0
            } else {
                break
            }
        }
    }
}
