import Foundation
import Yams

extension PolicyParser {
    static let defaultsKeys = ["unauthenticated", "inspect_limit_kb", "on_uninspectable", "masking"]
    static let groupKeys = ["providers", "models", "endpoints", "masking"]

    /// `defaults:`.
    mutating func parseDefaults(_ node: Node, reader: inout YAMLReader) {
        var defaults = PolicyDefaults()
        guard let entries = reader.mapping(node, "defaults", allowed: Self.defaultsKeys) else { return }
        for (key, _, value) in entries {
            switch key {
            case "unauthenticated":
                guard let text = reader.string(value, "defaults.unauthenticated", example: "deny") else { continue }
                guard let parsed = PolicyDefaults.Unauthenticated(policyText: text) else {
                    reader.error(
                        at: value,
                        "defaults.unauthenticated: '\(text)' is not a choice; write deny, allow or group:NAME (e.g. group:guests)"
                    )
                    continue
                }
                if case .group(let name) = parsed {
                    referenceGroup(name, at: value, file: reader.file, context: "defaults.unauthenticated")
                }
                defaults.unauthenticated = parsed
            case "inspect_limit_kb":
                if let limit = reader.int(
                    value,
                    "defaults.inspect_limit_kb",
                    minimum: 1,
                    example: "inspect_limit_kb: 1024"
                ) {
                    defaults.inspectLimitKB = limit
                }
            case "on_uninspectable":
                guard let text = reader.string(value, "defaults.on_uninspectable", example: "deny") else { continue }
                guard let parsed = PolicyDefaults.Uninspectable(rawValue: text) else {
                    reader.error(
                        at: value,
                        "defaults.on_uninspectable: '\(text)' is not a choice; write deny (fail closed) or allow (fail open)"
                    )
                    continue
                }
                defaults.onUninspectable = parsed
            case "masking":
                if let name = reader.string(value, "defaults.masking", example: "default") {
                    defaults.masking = name
                }
            default:
                break
            }
        }
        setDefaults(defaults)
    }

    /// `unix_users:` and `sources:` — a name mapped to the groups it joins.
    mutating func parseMemberships(
        _ node: Node,
        key: String,
        into keyPath: WritableKeyPath<PolicyDocument, [String: [String]]>,
        reader: inout YAMLReader
    ) {
        guard let entries = reader.mapping(node, key) else { return }
        for (name, keyNode, value) in entries {
            if key == "sources", name == "unix" {
                reader.error(
                    at: keyNode,
                    "local accounts are not a token source; map one account under unix_users:, or every unmapped account with defaults.unauthenticated: group:NAME"
                )
                continue
            }
            if key == "sources", !Self.identitySources.contains(name) {
                let tokenSources = Self.identitySources.filter { $0 != "unix" }
                let hint = EditDistance.hint(for: name, among: tokenSources)
                reader.error(
                    at: keyNode,
                    "unknown identity source '\(name)' under sources:;\(hint) token sources are \(tokenSources.joined(separator: ", "))"
                )
                continue
            }
            let context = key == "sources" ? "sources.\(name)" : "unix_users.\(name)"
            guard let groups = reader.list(value, key: name, in: key, example: "[ci]") else { continue }
            for group in groups {
                referenceGroup(group.value, at: group.node, file: reader.file, context: context)
            }
            addMembership(keyPath, name: name, groups: groups.map(\.value))
        }
    }

    /// `groups:`.
    mutating func parseGroups(_ node: Node, reader: inout YAMLReader) {
        guard let entries = reader.mapping(node, "groups") else { return }
        for (name, keyNode, value) in entries {
            if let first = groupLocations[name] {
                reader.error(at: keyNode, "group '\(name)' is already defined at \(first); merge the two definitions")
                continue
            }
            groupLocations[name] = reader.location(of: keyNode)
            var group = GroupAccess(name: name, location: reader.location(of: keyNode))
            let context = "group '\(name)'"
            if YAMLReader.isNull(value) {
                append(group: group)  // `name:` with nothing: a membership-only group, grants no access
                continue
            }
            guard let fields = reader.mapping(value, context, allowed: Self.groupKeys) else { continue }
            for (key, _, field) in fields {
                switch key {
                case "providers":
                    group.providers = providers(field, in: context, reader: &reader)
                case "models":
                    group.models = globs(field, in: context, reader: &reader)
                case "endpoints":
                    group.endpoints = endpoints(field, in: context, reader: &reader)
                case "masking":
                    group.masking = reader.string(field, "masking in \(context)", example: "masking: default")
                default:
                    break
                }
            }
            append(group: group)
        }
    }

    // MARK: Lists shared by groups and rule conditions

    /// Provider names, checked against the intercept list when it is known.
    mutating func providers(_ node: Node, in context: String, reader: inout YAMLReader) -> [String]? {
        guard let items = reader.list(node, key: "providers", in: context, example: "[openai, anthropic]") else {
            return nil
        }
        if let knownProviders {
            for item in items where !knownProviders.contains(item.value) {
                let hint = EditDistance.hint(for: item.value, among: knownProviders.sorted())
                reader.error(
                    at: item.node,
                    "unknown provider '\(item.value)' in \(context);\(hint) providers.yaml names \(knownProviders.sorted().joined(separator: ", "))"
                )
            }
        }
        return items.map(\.value)
    }

    /// Model globs.
    mutating func globs(_ node: Node, in context: String, reader: inout YAMLReader) -> [Glob]? {
        guard let items = reader.list(node, key: "models", in: context, example: "[\"gpt-4o*\", \"claude-*\"]") else {
            return nil
        }
        var globs: [Glob] = []
        for item in items {
            if let problem = Glob.problem(in: item.value) {
                reader.error(at: item.node, "bad model glob '\(item.value)' in \(context): \(problem)")
            } else {
                globs.append(Glob(item.value))
            }
        }
        return globs
    }

    /// Endpoint names.
    mutating func endpoints(_ node: Node, in context: String, reader: inout YAMLReader) -> [Endpoint]? {
        guard let items = reader.list(node, key: "endpoints", in: context, example: "[chat, embeddings]") else {
            return nil
        }
        var endpoints: [Endpoint] = []
        for item in items {
            if let endpoint = Endpoint(rawValue: item.value) {
                endpoints.append(endpoint)
            } else {
                let hint = EditDistance.hint(for: item.value, among: Endpoint.names)
                reader.error(
                    at: item.node,
                    "unknown endpoint '\(item.value)' in \(context);\(hint) valid endpoints: \(Endpoint.names.joined(separator: ", "))"
                )
            }
        }
        return endpoints
    }
}
