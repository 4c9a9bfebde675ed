import Foundation

/// A host name pattern from the provider list.
///
/// An exact name (`api.openai.com`); a leading `*.` over one or more labels (`*.openai.azure.com`
/// matches `acme.openai.azure.com` and `a.b.openai.azure.com`, not `openai.azure.com`); or a `*`
/// inside any other label, matching characters of that one label only (`bedrock-runtime.*.amazonaws.com`,
/// `*-aiplatform.googleapis.com`).
public struct HostPattern: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The pattern as written, lower-cased.
    public let pattern: String

    /// - Parameter pattern: `name` or `*.suffix`; case is ignored and a trailing dot dropped.
    public init(_ pattern: String) {
        var normalized = pattern.lowercased()
        if normalized.hasSuffix(".") { normalized.removeLast() }
        self.pattern = normalized
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }

    /// Whether this is a wildcard pattern (and so cannot be resolved ahead of time).
    public var isWildcard: Bool { pattern.contains("*") }

    /// Whether `host` (already lower-cased, no trailing dot) matches.
    public func matches(_ host: String) -> Bool {
        guard isWildcard else { return host == pattern }
        var patternLabels = pattern.split(separator: ".", omittingEmptySubsequences: false)
        var hostLabels = host.split(separator: ".", omittingEmptySubsequences: false)
        if patternLabels.first == "*" {
            // A leading "*." stands for one or more whole labels.
            patternLabels.removeFirst()
            guard hostLabels.count > patternLabels.count else { return false }
            hostLabels.removeFirst(hostLabels.count - patternLabels.count)
        }
        guard hostLabels.count == patternLabels.count else { return false }
        return zip(patternLabels, hostLabels).allSatisfy { Self.label($1, matches: $0) }
    }

    /// Glob match of one label, where `*` matches any run of characters (none included).
    static func label(_ label: Substring, matches glob: Substring) -> Bool {
        let parts = glob.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return label == glob }
        guard label.hasPrefix(parts[0]), label.count >= parts.reduce(0, { $0 + $1.count }) else { return false }
        var rest = label.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts[parts.count - 1])
    }

    public var description: String { pattern }
}
