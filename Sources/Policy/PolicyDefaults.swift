import Foundation

/// The `defaults:` section: what applies when no group or rule says otherwise.
public struct PolicyDefaults: Sendable, Hashable, Codable {
    /// What a principal without a token (and not listed in `unix_users`) gets.
    public enum Unauthenticated: Sendable, Hashable, CustomStringConvertible {
        /// Refused, with a hint to run `chaperone login`.
        case deny
        /// Allowed to anything that deny and approval rules don't stop.
        case allow
        /// Treated as a member of the named group.
        case group(String)

        public var description: String {
            switch self {
            case .deny: "deny"
            case .allow: "allow"
            case .group(let name): "group:\(name)"
            }
        }
    }

    /// What happens when a rule needs the body (model, entities, prompt, tools) and the body
    /// could not be read or was larger than the inspect limit.
    public enum Uninspectable: String, Sendable, Hashable, Codable {
        /// Fail closed: the request is refused.
        case deny
        /// Fail open: a rule that can't be evaluated doesn't match.
        case allow
    }

    /// What a principal without a token gets.
    public var unauthenticated: Unauthenticated = .deny
    /// Bodies above this many KiB are decided without model, entities, prompt or tools.
    public var inspectLimitKB: Int = 1024
    /// Fail closed (`deny`) or open (`allow`) when a needed body field is unknown.
    public var onUninspectable: Uninspectable = .deny
    /// The masking rule set for principals whose groups name none.
    public var masking: String = "default"

    /// The defaults a policy without a `defaults:` section gets.
    public init() {}
}

extension PolicyDefaults.Unauthenticated: Codable {
    /// Reads `deny`, `allow` or `group:NAME`, as the policy file writes it.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if let value = Self(policyText: text) {
            self = value
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "write deny, allow or group:NAME")
            )
        }
    }

    /// Writes `deny`, `allow` or `group:NAME`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Parses the policy file's spelling.
    init?(policyText text: String) {
        switch text {
        case "deny": self = .deny
        case "allow": self = .allow
        default:
            guard text.hasPrefix("group:"), text.count > 6 else { return nil }
            self = .group(String(text.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        }
    }
}
