/// Recognises a key word and separator immediately before a value, such as
/// `password=`, `"api_key": "`, `AWS_SECRET_ACCESS_KEY = '` or `Bearer `.
///
/// Context detectors (AWS secret keys, generic secrets, Dutch BSNs) would drown in false
/// positives without it: forty base64 characters are only an AWS secret when something
/// says so. The check reads backwards from the value through the left context, so it
/// costs no hold-back in a stream.
struct KeywordContext: Sendable {
    /// A key word in lower case with `-` written as `_`; matched case-insensitively and
    /// with `-` and `_` interchangeable, as the suffix of the key (`db_password`).
    struct Keyword: Sendable {
        let bytes: [UInt8]
        /// Whether a single space may stand in for `=`/`:` (`Bearer <token>`).
        let spaceSeparates: Bool

        init(_ text: String, spaceSeparates: Bool = false) {
            self.bytes = Array(text.utf8)
            self.spaceSeparates = spaceSeparates
        }
    }

    let keywords: [Keyword]

    /// How far back the check may read: the longest key word plus quotes and spacing.
    var reach: Int {
        (keywords.map(\.bytes.count).max() ?? 0) + 12
    }

    /// Whether a key word and separator end right before `position`.
    ///
    /// - Parameters:
    ///   - position: Where the value starts.
    ///   - window: The readable neighbourhood.
    func precedes(_ position: Int, in window: inout ScanWindow) -> Bool {
        var index = position - 1
        if let quote = window.byte(at: index), quote == 0x22 || quote == 0x27 { index -= 1 }
        let afterSpaces = skipSpaces(from: index, in: &window)
        // Separator: '=', ':', '=>', ':='.
        var separatorEnd = afterSpaces
        var hasSeparator = false
        if let byte = window.byte(at: separatorEnd) {
            if byte == 0x3D || byte == 0x3A {
                hasSeparator = true
                separatorEnd -= 1
                if byte == 0x3D, window.byte(at: separatorEnd) == 0x3A { separatorEnd -= 1 }
            } else if byte == 0x3E, window.byte(at: separatorEnd - 1) == 0x3D {
                hasSeparator = true
                separatorEnd -= 2
            }
        }
        if hasSeparator {
            var keyEnd = skipSpaces(from: separatorEnd, in: &window)
            if let quote = window.byte(at: keyEnd), quote == 0x22 || quote == 0x27 { keyEnd -= 1 }
            return keywords.contains { keywordEnds(at: keyEnd, $0.bytes, in: &window) }
        }
        // `Bearer <value>`: exactly one space, no quote.
        guard index == position - 1, afterSpaces == position - 2 else { return false }
        return keywords.contains { $0.spaceSeparates && keywordEnds(at: position - 2, $0.bytes, in: &window) }
    }

    private func skipSpaces(from index: Int, in window: inout ScanWindow) -> Int {
        var index = index
        var skipped = 0
        while skipped < 4, let byte = window.byte(at: index), byte == ASCII.space || byte == ASCII.tab {
            index -= 1
            skipped += 1
        }
        return index
    }

    private func keywordEnds(at end: Int, _ keyword: [UInt8], in window: inout ScanWindow) -> Bool {
        let start = end - keyword.count + 1
        for (offset, expected) in keyword.enumerated() {
            guard var byte = window.byte(at: start + offset) else { return false }
            byte = ASCII.lowercased(byte)
            if byte == ASCII.dash { byte = ASCII.underscore }
            guard byte == expected else { return false }
        }
        // Suffixes of identifiers (`db_password`, `client_secret`) are intended matches,
        // so nothing is required left of the key word.
        return true
    }
}

extension KeywordContext {
    /// Whether `byte` can stand right before a value that follows a key word: a quote,
    /// `=`, `:`, `>` (of `=>`), a space or a tab.
    ///
    /// - Parameters:
    ///   - byte: The byte before the value.
    @inline(__always)
    static func isValueDelimiter(_ byte: UInt8) -> Bool {
        byte == 0x22 || byte == 0x27 || byte == 0x3D || byte == 0x3A || byte == 0x3E || byte == ASCII.space
            || byte == ASCII.tab
    }
}

extension KeywordContext {
    /// Whether the two bytes before a value rule out a key word context: the value must
    /// follow a quote, `=`, `:`, `>` or tab directly, or a space that follows one of those,
    /// another space, or the `r` of `Bearer`.
    ///
    /// - Parameters:
    ///   - previous: The byte before the value.
    ///   - beforePrevious: The byte before that.
    static func rulesOut(previous: UInt8, beforePrevious: UInt8) -> Bool {
        guard isValueDelimiter(previous) else { return true }
        guard previous == ASCII.space else { return false }
        return !(isValueDelimiter(beforePrevious) || beforePrevious == 0x72 || beforePrevious == 0x52)
    }
}
