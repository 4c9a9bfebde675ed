import Foundation
import Yams

/// Turns policy files into one ``PolicyDocument``, or every problem found in them.
///
/// Files are parsed one after another into the same document; names that may be defined in
/// one file and used in another (groups) are checked once all files are read.
struct PolicyParser {
    /// A name used somewhere that must be defined somewhere.
    struct Reference {
        let name: String
        let file: String
        let line: Int
        let column: Int
        let context: String
    }

    /// Provider names the intercept list knows, when available.
    let knownProviders: Set<String>?
    private(set) var document = PolicyDocument()
    private(set) var diagnostics: [PolicyDiagnostic] = []
    var groupReferences: [Reference] = []
    var groupLocations: [String: String] = [:]
    var ruleLocations: [String: String] = [:]
    private var sawVersion = false

    static let mainFile = "policy.yaml"
    static let topLevelKeys = ["version", "defaults", "unix_users", "sources", "groups", "deny", "approvals"]
    static let identitySources = ["oidc", "github-actions", "gitlab-ci", "unix"]

    init(knownProviders: Set<String>?) {
        self.knownProviders = knownProviders
    }

    /// Parses one file into the document.
    ///
    /// - Parameters:
    ///   - name: The file's name relative to the rules directory.
    ///   - text: Its content.
    mutating func parse(name: String, text: String) {
        var reader = YAMLReader(file: name)
        defer { diagnostics += reader.diagnostics }
        let isMain = name == Self.mainFile
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            reader.diagnostics.append(Self.diagnostic(for: error, file: name))
            return
        }
        guard let root, !YAMLReader.isNull(root) else {
            if isMain {
                reader.diagnostics.append(
                    PolicyDiagnostic(
                        file: name,
                        line: 1,
                        column: 1,
                        message: "policy.yaml is empty; start it with version: 1"
                    )
                )
            }
            return
        }
        guard let entries = reader.mapping(root, "the top level of \(name)", allowed: Self.topLevelKeys) else { return }
        for (key, keyNode, value) in entries {
            switch key {
            case "version":
                sawVersion = sawVersion || isMain
                if let version = reader.int(value, "version", minimum: 1, example: "version: 1"), version != 1 {
                    reader.error(at: value, "version \(version) is not supported by this chaperone; write version: 1")
                }
            case "defaults":
                if isMain {
                    parseDefaults(value, reader: &reader)
                } else {
                    reader.error(at: keyNode, "defaults may only be set in policy.yaml; move this section there")
                }
            case "unix_users":
                parseMemberships(value, key: "unix_users", into: \.unixUsers, reader: &reader)
            case "sources":
                parseMemberships(value, key: "sources", into: \.sources, reader: &reader)
            case "groups":
                parseGroups(value, reader: &reader)
            case "deny":
                parseDenyRules(value, reader: &reader)
            case "approvals":
                parseApprovalRules(value, reader: &reader)
            default:
                break
            }
        }
        if isMain, !sawVersion {
            reader.error(at: root, "policy.yaml has no version; add version: 1 as its first line")
        }
    }

    /// Checks cross-file references and returns the document, or every problem.
    mutating func finish() -> Result<PolicyDocument, PolicyError> {
        let defined = Set(document.groups.map(\.name))
        for reference in groupReferences where !defined.contains(reference.name) {
            let hint = EditDistance.hint(for: reference.name, among: Array(defined).sorted())
            let known =
                defined.isEmpty ? "none is defined yet" : "defined groups: \(defined.sorted().joined(separator: ", "))"
            diagnostics.append(
                PolicyDiagnostic(
                    file: reference.file,
                    line: reference.line,
                    column: reference.column,
                    message:
                        "\(reference.context) names group '\(reference.name)', which is not defined under groups:;\(hint) \(known). Define it (an empty mapping `\(reference.name): {}` grants nothing) or fix the name"
                )
            )
        }
        guard diagnostics.isEmpty else {
            return .failure(PolicyError(diagnostics: diagnostics.sorted(by: Self.fileOrder)))
        }
        return .success(document)
    }

    /// Keeps policy.yaml first and each file's problems in line order.
    private static func fileOrder(_ a: PolicyDiagnostic, _ b: PolicyDiagnostic) -> Bool {
        if a.file != b.file {
            if a.file == mainFile { return true }
            if b.file == mainFile { return false }
            return a.file < b.file
        }
        return (a.line, a.column) < (b.line, b.column)
    }

    /// Records a group name that must be defined.
    mutating func referenceGroup(_ name: String, at node: Node, file: String, context: String) {
        groupReferences.append(
            Reference(
                name: name,
                file: file,
                line: node.mark?.line ?? 1,
                column: node.mark?.column ?? 1,
                context: context
            )
        )
    }

    /// Records a rule name, reporting a duplicate.
    mutating func claimRuleName(_ name: String, at node: Node, reader: inout YAMLReader) -> Bool {
        if let first = ruleLocations[name] {
            reader.error(
                at: node,
                "rule name '\(name)' is already used at \(first); rule names identify rules in the audit log and in grants, give this one another name"
            )
            return false
        }
        ruleLocations[name] = reader.location(of: node)
        return true
    }

    mutating func append(group: GroupAccess) { document.groups.append(group) }
    mutating func append(deny rule: DenyRule) { document.deny.append(rule) }
    mutating func append(approval rule: ApprovalRule) { document.approvals.append(rule) }
    mutating func setDefaults(_ defaults: PolicyDefaults) { document.defaults = defaults }
    mutating func addMembership(
        _ keyPath: WritableKeyPath<PolicyDocument, [String: [String]]>,
        name: String,
        groups: [String]
    ) {
        document[keyPath: keyPath][name, default: []] += groups
    }

    /// A YAML syntax error as a diagnostic.
    static func diagnostic(for error: any Error, file: String) -> PolicyDiagnostic {
        let hint = "; check the indentation (spaces, not tabs) and quote values that contain ': ' or start with * or {"
        switch error {
        case YamlError.scanner(let context, let problem, let mark, _),
            YamlError.parser(let context, let problem, let mark, _),
            YamlError.composer(let context, let problem, let mark, _):
            let what = [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": ")
            return PolicyDiagnostic(
                file: file,
                line: mark.line,
                column: mark.column,
                message: "not valid YAML: \(what)\(hint)"
            )
        case YamlError.duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return PolicyDiagnostic(
                file: file,
                line: context.mark.line,
                column: context.mark.column,
                message:
                    "key \(keys) appears more than once in the same mapping; keep one and merge what the copies say"
            )
        case YamlError.reader(let problem, _, _, _):
            return PolicyDiagnostic(
                file: file,
                line: 1,
                column: 1,
                message: "cannot read the file: \(problem); save it as UTF-8"
            )
        default:
            return PolicyDiagnostic(file: file, line: 1, column: 1, message: "not valid YAML: \(error)\(hint)")
        }
    }
}
