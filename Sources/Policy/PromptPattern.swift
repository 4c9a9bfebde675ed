import Foundation

/// A regular expression matched against a request's masked prompt text.
///
/// Uses ICU through `NSRegularExpression`, case-insensitive, so the syntax is the one most
/// regex references document. Prompt text is already masked: a pattern sees `[EMAIL_1]`,
/// never the address.
public struct PromptPattern: @unchecked Sendable, Hashable, Codable, CustomStringConvertible {
    // @unchecked Sendable: NSRegularExpression is immutable once created and Apple documents
    // it as safe to use from several threads at once; nothing here mutates it.

    /// The pattern as written in the policy.
    public let source: String
    private let regex: NSRegularExpression

    /// Compiles a pattern.
    ///
    /// - Parameter source: ICU regular expression syntax.
    /// - Throws: The compiler's error when the pattern is invalid.
    public init(_ source: String) throws {
        self.source = source
        self.regex = try NSRegularExpression(pattern: source, options: [.caseInsensitive])
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(source)
    }

    public var description: String { source }

    public static func == (lhs: PromptPattern, rhs: PromptPattern) -> Bool { lhs.source == rhs.source }

    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// Whether the pattern occurs anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
