/// A shell-style pattern for model names: `*` matches any run of characters, `?` one.
///
/// Matching ignores case, because providers are inconsistent about it (`gpt-4o`,
/// `GPT-4o`). Brackets and braces are refused when parsing, so a pattern means the same
/// thing to an auditor as to the matcher.
public struct Glob: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The pattern as written in the policy.
    public let pattern: String
    private let characters: [Character]

    /// Creates a glob; ``problem(in:)`` says whether the pattern is one a policy may use.
    ///
    /// - Parameter pattern: The pattern, e.g. `gpt-4o*`.
    public init(_ pattern: String) {
        self.pattern = pattern
        self.characters = Array(pattern.lowercased())
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }

    public var description: String { pattern }

    public static func == (lhs: Glob, rhs: Glob) -> Bool { lhs.pattern == rhs.pattern }

    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    /// What is wrong with a pattern, or `nil` when it is usable.
    static func problem(in pattern: String) -> String? {
        if pattern.isEmpty {
            return "an empty pattern matches nothing; write a name such as gpt-4o or a glob such as \"gpt-4o*\""
        }
        if pattern.contains(where: { "[]{}".contains($0) }) {
            return
                "brackets and braces are not supported in model globs; use * and ? only, e.g. \"gpt-4o*\", or list each model"
        }
        if pattern.contains(where: \.isWhitespace) {
            return "a model name has no spaces; write e.g. \"claude-*\""
        }
        return nil
    }

    /// Whether `text` matches the whole pattern, ignoring case.
    public func matches(_ text: String) -> Bool {
        let text = Array(text.lowercased())
        var p = 0
        var t = 0
        var star: Int?
        var mark = 0
        while t < text.count {
            if p < characters.count, characters[p] == "?" || characters[p] == text[t] {
                p += 1
                t += 1
            } else if p < characters.count, characters[p] == "*" {
                star = p
                mark = t
                p += 1
            } else if let s = star {
                p = s + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < characters.count, characters[p] == "*" { p += 1 }
        return p == characters.count
    }
}
