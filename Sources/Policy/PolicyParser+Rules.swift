import Foundation
import Yams

extension PolicyParser {
    static let conditionKeys = [
        "providers", "models", "endpoints", "groups", "sources", "entities", "prompt", "tools", "min_body_kb",
    ]
    static let denyKeys = ["name", "when", "unless", "message"]
    static let approvalKeys = [
        "name", "when", "unless", "mode", "approvers", "timeout", "grant_for", "require_justification", "fail",
    ]

    /// `deny:`.
    mutating func parseDenyRules(_ node: Node, reader: inout YAMLReader) {
        guard case .sequence(let rules) = node else {
            reader.error(
                at: node,
                "deny must be a list of rules, each starting with '- name:'; found \(YAMLReader.kind(of: node))"
            )
            return
        }
        for (index, ruleNode) in rules.enumerated() {
            let fallbackName = "deny rule #\(index + 1) in \(reader.file)"
            guard let fields = reader.mapping(ruleNode, fallbackName, allowed: Self.denyKeys) else { continue }
            guard let (name, nameNode) = ruleName(fields, ruleNode, fallback: fallbackName, reader: &reader) else {
                continue
            }
            let context = "deny rule '\(name)'"
            var when: RuleCondition?
            var unless: RuleCondition?
            var message = "Request refused by policy rule '\(name)'."
            for (key, _, value) in fields {
                switch key {
                case "when": when = condition(value, in: "\(context) when", reader: &reader)
                case "unless": unless = condition(value, in: "\(context) unless", reader: &reader)
                case "message":
                    message =
                        reader.string(value, "message of \(context)", example: "\"Fine-tuning is not allowed.\"")
                        ?? message
                default: break
                }
            }
            guard let when else {
                if !fields.contains(where: { $0.key == "when" }) {
                    reader.error(
                        at: ruleNode,
                        "\(context) has no when:; add the condition it matches, e.g. when: {endpoints: [fine-tuning]}"
                    )
                }
                continue
            }
            if claimRuleName(name, at: nameNode, reader: &reader) {
                append(
                    deny: DenyRule(
                        name: name,
                        when: when,
                        unless: unless,
                        message: message,
                        location: reader.location(of: ruleNode)
                    )
                )
            }
        }
    }

    /// `approvals:`.
    mutating func parseApprovalRules(_ node: Node, reader: inout YAMLReader) {
        guard case .sequence(let rules) = node else {
            reader.error(
                at: node,
                "approvals must be a list of rules, each starting with '- name:'; found \(YAMLReader.kind(of: node))"
            )
            return
        }
        for (index, ruleNode) in rules.enumerated() {
            let fallbackName = "approval rule #\(index + 1) in \(reader.file)"
            guard let fields = reader.mapping(ruleNode, fallbackName, allowed: Self.approvalKeys) else { continue }
            guard let (name, nameNode) = ruleName(fields, ruleNode, fallback: fallbackName, reader: &reader) else {
                continue
            }
            if let rule = approvalRule(name: name, fields: fields, ruleNode: ruleNode, reader: &reader),
                claimRuleName(name, at: nameNode, reader: &reader)
            {
                append(approval: rule)
            }
        }
    }

    private mutating func approvalRule(
        name: String,
        fields: [(key: String, keyNode: Node, value: Node)],
        ruleNode: Node,
        reader: inout YAMLReader
    ) -> ApprovalRule? {
        let context = "approval rule '\(name)'"
        var when: RuleCondition?
        var unless: RuleCondition?
        var mode: ApprovalRule.Mode?
        var approvers: [String]?
        var timeout: TimeInterval?
        var grantFor: (TimeInterval, Node)?
        var justification = false
        var fail: (ApprovalRule.Failure, Node)?
        var valid = true
        for (key, _, value) in fields {
            switch key {
            case "when": when = condition(value, in: "\(context) when", reader: &reader)
            case "unless": unless = condition(value, in: "\(context) unless", reader: &reader)
            case "mode":
                guard let text = reader.string(value, "mode of \(context)", example: "hold") else {
                    valid = false
                    continue
                }
                mode = ApprovalRule.Mode(rawValue: text)
                if mode == nil {
                    reader.error(
                        at: value,
                        "mode of \(context): '\(text)' is not a mode; write hold (the request waits for an approver) or ticket (refused now, approval grants a retry)"
                    )
                    valid = false
                }
            case "approvers":
                approvers = reader.list(value, key: "approvers", in: context, example: "[security]")?.map { item in
                    referenceGroup(item.value, at: item.node, file: reader.file, context: "approvers of \(context)")
                    return item.value
                }
                valid = valid && approvers != nil
            case "timeout":
                timeout = reader.duration(value, "timeout of \(context)")
                valid = valid && timeout != nil
            case "grant_for":
                grantFor = reader.duration(value, "grant_for of \(context)").map { ($0, value) }
                valid = valid && grantFor != nil
            case "require_justification":
                justification = reader.bool(value, "require_justification of \(context)") ?? false
            case "fail":
                guard let text = reader.string(value, "fail of \(context)", example: "closed") else {
                    valid = false
                    continue
                }
                guard let parsed = ApprovalRule.Failure(rawValue: text) else {
                    reader.error(
                        at: value,
                        "fail of \(context): '\(text)' is not a choice; write closed (refuse when nobody answers) or open (let it through)"
                    )
                    valid = false
                    continue
                }
                fail = (parsed, value)
            default:
                break
            }
        }
        let present = Set(fields.map(\.key))
        if !present.contains("when") {
            reader.error(
                at: ruleNode,
                "\(context) has no when:; add the condition it matches, e.g. when: {entities: [private_key]}"
            )
        }
        if !present.contains("mode") {
            reader.error(
                at: ruleNode,
                "\(context) has no mode:; add mode: hold (the request waits) or mode: ticket (approval creates a grant)"
            )
        }
        if !present.contains("approvers") {
            reader.error(
                at: ruleNode,
                "\(context) has no approvers:; add approvers: [security] (groups whose members may approve)"
            )
        }
        if mode == .hold, let grantFor {
            reader.error(
                at: grantFor.1,
                "grant_for applies to ticket rules only: a held request proceeds once approved; remove it or write mode: ticket"
            )
            valid = false
        }
        if mode == .ticket, let fail {
            reader.error(
                at: fail.1,
                "fail applies to hold rules only: a ticket is refused until approved; remove it or write mode: hold"
            )
            valid = false
        }
        guard valid, let when, let mode, let approvers else { return nil }
        return ApprovalRule(
            name: name,
            when: when,
            unless: unless,
            mode: mode,
            approvers: approvers,
            timeout: timeout ?? (mode == .hold ? 300 : 86400),
            grantFor: grantFor?.0 ?? 3600,
            requireJustification: justification,
            fail: fail?.0 ?? .closed,
            location: reader.location(of: ruleNode)
        )
    }

    /// A rule's `name:`, required and free of spaces.
    private func ruleName(
        _ fields: [(key: String, keyNode: Node, value: Node)],
        _ ruleNode: Node,
        fallback: String,
        reader: inout YAMLReader
    ) -> (String, Node)? {
        guard let field = fields.first(where: { $0.key == "name" }) else {
            reader.error(
                at: ruleNode,
                "\(fallback) has no name:; add one, e.g. name: no-fine-tuning-from-ci (it appears in the audit log)"
            )
            return nil
        }
        guard let name = reader.string(field.value, "name of \(fallback)", example: "name: no-fine-tuning-from-ci")
        else { return nil }
        if name.contains(where: \.isWhitespace) {
            reader.error(
                at: field.value,
                "rule name '\(name)' contains spaces; use dashes, e.g. \(name.split(whereSeparator: \.isWhitespace).joined(separator: "-"))"
            )
            return nil
        }
        return (name, field.value)
    }

    /// A `when:` or `unless:` mapping.
    mutating func condition(_ node: Node, in context: String, reader: inout YAMLReader) -> RuleCondition? {
        guard let fields = reader.mapping(node, context, allowed: Self.conditionKeys) else { return nil }
        var condition = RuleCondition()
        let problemsBefore = reader.diagnostics.count
        for (key, _, value) in fields {
            switch key {
            case "providers": condition.providers = providers(value, in: context, reader: &reader)
            case "models": condition.models = globs(value, in: context, reader: &reader)
            case "endpoints": condition.endpoints = endpoints(value, in: context, reader: &reader)
            case "groups":
                condition.groups = reader.list(value, key: "groups", in: context, example: "[contractors]")?.map {
                    item in
                    referenceGroup(item.value, at: item.node, file: reader.file, context: context)
                    return item.value
                }
            case "sources": condition.sources = sources(value, in: context, reader: &reader)
            case "entities": condition.entities = entities(value, in: context, reader: &reader)
            case "prompt": condition.prompt = prompts(value, in: context, reader: &reader)
            case "tools": condition.tools = reader.bool(value, "tools in \(context)")
            case "min_body_kb":
                condition.minBodyKB = reader.int(
                    value,
                    "min_body_kb in \(context)",
                    minimum: 0,
                    example: "min_body_kb: 512"
                )
            default: break
            }
        }
        if fields.isEmpty {
            reader.error(
                at: node,
                "\(context) has no condition and would match every request; add at least one key: \(Self.conditionKeys.joined(separator: ", "))"
            )
            return nil
        }
        return reader.diagnostics.count == problemsBefore ? condition : nil
    }

    private func sources(_ node: Node, in context: String, reader: inout YAMLReader) -> [String]? {
        guard let items = reader.list(node, key: "sources", in: context, example: "[github-actions, gitlab-ci]") else {
            return nil
        }
        for item in items where !Self.identitySources.contains(item.value) {
            let hint = EditDistance.hint(for: item.value, among: Self.identitySources)
            reader.error(
                at: item.node,
                "unknown identity source '\(item.value)' in \(context);\(hint) sources are \(Self.identitySources.joined(separator: ", "))"
            )
        }
        return items.map(\.value)
    }

    private func entities(_ node: Node, in context: String, reader: inout YAMLReader) -> [String]? {
        guard let items = reader.list(node, key: "entities", in: context, example: "[aws_access_key, private_key]")
        else { return nil }
        for item in items where !item.value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            reader.error(
                at: item.node,
                "entity '\(item.value)' in \(context) is not an entity name; use the masking entity, e.g. private_key, aws_access_key, email"
            )
        }
        return items.map { $0.value.lowercased() }
    }

    private func prompts(_ node: Node, in context: String, reader: inout YAMLReader) -> [PromptPattern]? {
        guard let items = reader.list(node, key: "prompt", in: context, example: "['(?i)do not share']") else {
            return nil
        }
        var patterns: [PromptPattern] = []
        for item in items {
            do {
                patterns.append(try PromptPattern(item.value))
            } catch {
                reader.error(
                    at: item.node,
                    "bad regular expression '\(item.value)' in \(context); check brackets and escapes (write \\. for a literal dot inside single quotes), e.g. 'internal[- ]only'"
                )
            }
        }
        return patterns
    }
}
