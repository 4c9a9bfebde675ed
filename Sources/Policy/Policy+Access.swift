import Foundation

extension DecisionRun {
    /// The last stage: groups, then grants without a rule, then a refusal that says what was
    /// missing and what to run.
    mutating func evaluateAccess(anyAccess: Bool, grants: [Grant]) -> PolicyDecision {
        if anyAccess {
            step(
                .access,
                "defaults.unauthenticated",
                .matched,
                "unauthenticated: allow grants any provider, model and endpoint"
            )
            return finish(
                .allow,
                rules: ["defaults.unauthenticated"],
                reason: "Allowed: unauthenticated requests are allowed by defaults.unauthenticated."
            )
        }
        let member = Set(groups)
        var refusals: [(group: String, missing: Missing)] = []
        for group in policy.document.groups where member.contains(group.name) {
            let name = "group:\(group.name)"
            guard group.grantsAccess else {
                step(.access, name, .notMatched, "grants no access (sets no providers, models or endpoints)")
                continue
            }
            switch check(group) {
            case .allowed(let how):
                step(.access, name, .matched, how)
                return finish(.allow, rules: [name], reason: "Allowed for group \(group.name).")
            case .unknownModel:
                if policy.document.defaults.onUninspectable == .allow {
                    step(.access, name, .unknown, "model unknown (body not inspected); on_uninspectable: allow")
                    return finish(
                        .allow,
                        rules: [name, "defaults.on_uninspectable"],
                        reason:
                            "Allowed for group \(group.name); the model could not be checked (body not inspected) and the policy fails open."
                    )
                }
                step(.access, name, .unknown, "model unknown (body not inspected); on_uninspectable: deny")
                refusals.append((group.name, .model(uninspected: true, allowed: group.models?.map(\.pattern) ?? [])))
            case .refused(let missing):
                step(.access, name, .notMatched, missing.explanation(group: group.name, request: request))
                refusals.append((group.name, missing))
            }
        }
        if refusals.isEmpty {
            step(.access, "groups", .notMatched, "no group of the principal grants access (groups: \(list(groups)))")
        }
        if let grant = grants.first(where: { $0.covers(request, rule: nil, at: now) }) {
            step(
                .grant,
                "grant:\(grant.id)",
                .matched,
                "granted by \(grant.createdBy) until \(grant.expires.formatted(.iso8601)): \(grant.reason)"
            )
            return finish(
                .allowUnderGrant(grant.id),
                rules: ["grant:\(grant.id)"],
                reason:
                    "Allowed under grant \(grant.id) (\(grant.reason)), granted by \(grant.createdBy), valid until \(grant.expires.formatted(.iso8601))."
            )
        }
        for grant in grants where grant.approvalRule == nil {
            step(.grant, "grant:\(grant.id)", .notMatched, "does not cover this request (\(Self.scope(of: grant)))")
        }
        return finish(.deny, rules: ["access"], reason: refusalReason(refusals))
    }

    // MARK: Checking one group

    enum Missing {
        case provider(allowed: [String])
        case model(uninspected: Bool, allowed: [String])
        case endpoint(allowed: [String])

        func explanation(group: String, request: PolicyRequest) -> String {
            switch self {
            case .provider(let allowed):
                "group \(group) may use providers \(allowed.joined(separator: ", ")); not \(request.provider ?? "this unknown provider")"
            case .model(true, _):
                "group \(group) is limited to certain models, and the model could not be read (body not inspected)"
            case .model(false, let allowed):
                "group \(group) may use models \(allowed.joined(separator: ", ")); not \(request.model ?? "a request without a model")"
            case .endpoint(let allowed):
                "group \(group) may use endpoints \(allowed.joined(separator: ", ")); not \(request.endpoint.rawValue)"
            }
        }
    }

    enum GroupCheck {
        case allowed(String)
        case unknownModel
        case refused(Missing)
    }

    private func check(_ group: GroupAccess) -> GroupCheck {
        var how: [String] = []
        if let providers = group.providers {
            guard let provider = request.provider, providers.contains(provider) else {
                return .refused(.provider(allowed: providers))
            }
            how.append("provider \(provider)")
        }
        if let endpoints = group.endpoints {
            guard endpoints.contains(request.endpoint) else {
                return .refused(.endpoint(allowed: endpoints.map(\.rawValue)))
            }
            how.append("endpoint \(request.endpoint.rawValue)")
        }
        if let models = group.models {
            if let model = request.model {
                guard models.contains(where: { $0.matches(model) }) else {
                    return .refused(.model(uninspected: false, allowed: models.map(\.pattern)))
                }
                how.append("model \(model)")
            } else if !request.bodyInspected {
                return .unknownModel
            } else {
                how.append("no model named")
            }
        }
        return .allowed(how.isEmpty ? "group allows everything" : how.joined(separator: ", "))
    }

    // MARK: The refusal

    private func refusalReason(_ refusals: [(group: String, missing: Missing)]) -> String {
        let who = request.principal.displayName
        var text: String
        if refusals.isEmpty {
            let known =
                request.principal.groups.isEmpty
                ? "" : " (token groups: \(request.principal.groups.joined(separator: ", ")))"
            text = "Refused: \(who) is in no group that grants access\(known)."
        } else {
            text =
                "Refused: "
                + refusals.map { $0.missing.explanation(group: $0.group, request: request) }.joined(separator: "; ")
                + "."
        }
        if refusals.contains(where: { if case .model(true, _) = $0.missing { true } else { false } }) {
            text += " Send a smaller request so the model can be read, or"
        } else {
            text += " To use it anyway,"
        }
        return text + " ask an admin: \(grantCommand)"
    }

    /// The `chaperone grant` command that would let this request through.
    private var grantCommand: String {
        var parts = [
            "chaperone grant \(Self.shellQuoted(request.principal.email ?? request.principal.unixUser ?? request.principal.subject))"
        ]
        if let provider = request.provider { parts.append("--provider \(provider)") }
        if let model = request.model { parts.append("--model \(Self.shellQuoted(model))") }
        parts.append("--endpoint \(request.endpoint.rawValue)")
        parts.append("--for 1h --reason \"…\"")
        return parts.joined(separator: " ")
    }

    static func shellQuoted(_ text: String) -> String {
        let safe = text.allSatisfy { $0.isLetter || $0.isNumber || "@._-:+=/".contains($0) }
        return safe ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func scope(of grant: Grant) -> String {
        var parts: [String] = []
        if let provider = grant.provider { parts.append("provider \(provider)") }
        if let model = grant.model { parts.append("model \(model.pattern)") }
        if let endpoint = grant.endpoint { parts.append("endpoint \(endpoint.rawValue)") }
        return parts.isEmpty ? "any request" : parts.joined(separator: ", ")
    }
}
