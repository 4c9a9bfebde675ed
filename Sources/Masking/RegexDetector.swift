/// A user-supplied regular expression with a declared maximum match length.
///
/// Only organisation rules use `Regex`; built-in detectors are hand-written. The
/// expression is tried anchored (prefix match) at word starts, on a window of
/// `maxLength + 1` bytes so `\b` at the end of a match sees the next character. A match
/// longer than `maxLength` is discarded, not cut, so the declared bound must cover every
/// real match. A literal prefix of the pattern (`ACME-` in `ACME-[0-9]{4,6}`) is checked on
/// bytes before the regex engine runs, which keeps the cost of such rules close to zero
/// on text without the prefix.
struct RegexDetector: ByteDetector {
    /// `Regex` is an immutable value; the wrapper states what the compiler cannot infer
    /// for `AnyRegexOutput`: matching never mutates shared state.
    private final class Compiled: @unchecked Sendable {
        let regex: Regex<AnyRegexOutput>
        init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
    }

    private let compiled: Compiled
    private let literalPrefix: [UInt8]
    private let caseInsensitive: Bool
    let maximumLength: Int
    let lookahead = 1
    let leftContext = 1

    /// Compiles the pattern.
    ///
    /// - Parameters:
    ///   - pattern: The regular expression (Swift `Regex` syntax, PCRE-like).
    ///   - maximumLength: The longest match in UTF-8 bytes, 1–4096.
    ///   - caseInsensitive: Whether letters match regardless of case.
    /// - Throws: ``MaskingError`` with code `invalidRegex` when the pattern does not
    ///   compile, matches the empty string or the bound is out of range.
    init(pattern: String, maximumLength: Int, caseInsensitive: Bool) throws(MaskingError) {
        guard (1...4096).contains(maximumLength) else {
            throw MaskingError(.invalidRegex, "maxLength \(maximumLength) for /\(pattern)/ is not in 1...4096; declare the longest real match")
        }
        var regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw MaskingError(.invalidRegex, "regex /\(pattern)/ does not compile: \(error); fix the pattern")
        }
        if caseInsensitive { regex = regex.ignoresCase() }
        if (try? regex.wholeMatch(in: "")) != nil {
            throw MaskingError(.invalidRegex, "regex /\(pattern)/ matches the empty string; require at least one character")
        }
        self.compiled = Compiled(regex)
        self.maximumLength = maximumLength
        self.caseInsensitive = caseInsensitive
        self.literalPrefix = Self.literalPrefix(of: pattern).map { caseInsensitive ? ASCII.lowercased($0) : $0 }
    }

    func canStart(with byte: UInt8) -> Bool {
        if let first = literalPrefix.first {
            return caseInsensitive ? ASCII.lowercased(byte) == first : byte == first
        }
        return !ASCII.isContinuation(byte) && byte != ASCII.space && byte != 0x0A && byte != 0x0D && byte != ASCII.tab
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isWord(byte) && (literalPrefix.first.map(ASCII.isWord) ?? true)
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        for (offset, expected) in literalPrefix.enumerated() {
            guard let byte = window.byte(at: position + offset) else { return nil }
            if (caseInsensitive ? ASCII.lowercased(byte) : byte) != expected { return nil }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(maximumLength + 1)
        while bytes.count <= maximumLength, let byte = window.byte(at: position + bytes.count) {
            bytes.append(byte)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let found = try? compiled.regex.prefixMatch(in: text) else { return nil }
        let matched = Array(text[found.range].utf8)
        guard !matched.isEmpty, matched.count <= maximumLength, bytes.starts(with: matched) else { return nil }
        return matched.count
    }

    /// The leading literal characters of a pattern, up to the first metacharacter; a
    /// literal followed by a quantifier is not part of the prefix.
    ///
    /// - Parameters:
    ///   - pattern: The regular expression source.
    static func literalPrefix(of pattern: String) -> [UInt8] {
        let meta = Set("\\^$.|?*+()[]{}#".utf8)
        var prefix: [UInt8] = []
        let bytes = Array(pattern.utf8)
        for byte in bytes {
            if meta.contains(byte) || byte >= 0x80 || byte == ASCII.space {
                if byte == 0x3F || byte == 0x2A || byte == 0x7B, !prefix.isEmpty { prefix.removeLast() }
                return prefix
            }
            prefix.append(byte)
        }
        return prefix
    }
}
