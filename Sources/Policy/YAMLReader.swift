import Foundation
import Yams

/// Reads typed values out of a composed YAML node tree, collecting a diagnostic with the
/// node's line and column for each value that has the wrong shape.
struct YAMLReader {
    /// The file's name relative to the rules directory.
    let file: String
    /// Problems found so far.
    var diagnostics: [PolicyDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    /// Records a problem at `node` (or the file's start when the node has no mark).
    mutating func error(at node: Node?, _ message: String) {
        let mark = node?.mark
        diagnostics.append(
            PolicyDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message)
        )
    }

    /// `file:line:column` of a node.
    func location(of node: Node) -> String {
        "\(file):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1)"
    }

    /// What kind of value a node holds, for "expected X, found Y" messages.
    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping (key: value lines)"
        case .sequence: "a list"
        case .scalar where isNull(node): "nothing"
        case .scalar(let scalar): "'\(scalar.string)'"
        case .alias: "an alias"
        }
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return node.null != nil }
        return false
    }

    /// The entries of a mapping whose keys must be among `allowed`.
    ///
    /// Unknown keys are reported with the closest allowed key (Yams itself refuses duplicate
    /// keys). Returns `nil` (after reporting) when `node` is not a mapping.
    mutating func mapping(
        _ node: Node,
        _ what: String,
        allowed: [String]? = nil
    ) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error(at: node, "\(what) must be a mapping of key: value lines, found \(Self.kind(of: node))")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, !Self.isNull(keyNode) else {
                error(at: keyNode, "a key in \(what) must be a plain name, found \(Self.kind(of: keyNode))")
                continue
            }
            let key = scalar.string
            if let allowed, !allowed.contains(key) {
                let hint = EditDistance.hint(for: key, among: allowed)
                error(
                    at: keyNode,
                    "unknown key '\(key)' in \(what);\(hint) allowed keys: \(allowed.joined(separator: ", "))"
                )
                continue
            }
            entries.append((key, keyNode, value))
        }
        return entries
    }

    /// A text value.
    mutating func string(_ node: Node, _ what: String, example: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error(at: node, "\(what) must be a single value, found \(Self.kind(of: node)); write e.g. \(example)")
            return nil
        }
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        if text.isEmpty {
            error(at: node, "\(what) is empty; write e.g. \(example)")
            return nil
        }
        return text
    }

    /// A whole number of at least `minimum`.
    mutating func int(_ node: Node, _ what: String, minimum: Int, example: String) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            error(at: node, "\(what) must be a whole number, found \(Self.kind(of: node)); write e.g. \(example)")
            return nil
        }
        guard value >= minimum else {
            error(at: node, "\(what) must be at least \(minimum), found \(value); write e.g. \(example)")
            return nil
        }
        return value
    }

    /// `true` or `false`.
    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard case .scalar(let scalar) = node else {
            error(at: node, "\(what) must be true or false, found \(Self.kind(of: node))")
            return nil
        }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error(at: node, "\(what) must be true or false, found '\(scalar.string)'")
            return nil
        }
    }

    /// A duration such as `5m`.
    mutating func duration(_ node: Node, _ what: String) -> TimeInterval? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            error(at: node, "\(what) must be a duration, found \(Self.kind(of: node)); \(PolicyDuration.hint)")
            return nil
        }
        guard let seconds = PolicyDuration.parse(scalar.string.trimmingCharacters(in: .whitespaces)) else {
            error(at: node, "\(what): '\(scalar.string)' is not a duration; \(PolicyDuration.hint)")
            return nil
        }
        return seconds
    }

    /// A non-empty list of text values, each returned with its node.
    ///
    /// - Parameters:
    ///   - node: The value of `key`.
    ///   - key: The key, for the "write e.g." hint.
    ///   - context: Where the key is, e.g. `group 'ci'`.
    ///   - example: A valid list, e.g. `[openai, anthropic]`.
    mutating func list(_ node: Node, key: String, in context: String, example: String) -> [(value: String, node: Node)]?
    {
        guard case .sequence(let sequence) = node else {
            error(
                at: node,
                "\(key) in \(context) must be a list, found \(Self.kind(of: node)); write e.g. \(key): \(example)"
            )
            return nil
        }
        if sequence.isEmpty {
            error(
                at: node,
                "\(key) in \(context) is an empty list, which matches nothing; list at least one value (e.g. \(key): \(example)) or remove the key to match any"
            )
            return nil
        }
        var values: [(value: String, node: Node)] = []
        for item in sequence {
            if let text = string(item, "an entry of \(key) in \(context)", example: example) {
                values.append((text, item))
            }
        }
        return values
    }
}
