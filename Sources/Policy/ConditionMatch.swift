/// The three-valued answer of a condition: a rule can need a body field that was never read.
enum ConditionMatch: Equatable {
    /// Every key matched; the parts say how.
    case yes([String])
    /// A key did not match; the text says which and why.
    case no(String)
    /// No key failed, but these body fields were unknown.
    case unknown([String])

    /// Kleene AND: any `no` wins, then any `unknown`.
    static func all(_ parts: [ConditionMatch]) -> ConditionMatch {
        var matched: [String] = []
        var unknown: [String] = []
        for part in parts {
            switch part {
            case .no: return part
            case .unknown(let fields): unknown += fields
            case .yes(let how): matched += how
            }
        }
        return unknown.isEmpty ? .yes(matched) : .unknown(unknown)
    }
}

extension RuleCondition {
    /// Evaluates the condition against a request.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - groups: The principal's groups after `unix_users`, `sources` and defaults.
    func evaluate(_ request: PolicyRequest, groups: Set<String>) -> ConditionMatch {
        var parts: [ConditionMatch] = []
        if let providers {
            let provider = request.provider ?? "unknown"
            parts.append(
                providers.contains(provider)
                    ? .yes(["provider \(provider)"])
                    : .no("provider is \(provider), not \(providers.joined(separator: ", "))")
            )
        }
        if let endpoints {
            let endpoint = request.endpoint
            parts.append(
                endpoints.contains(endpoint)
                    ? .yes(["endpoint \(endpoint.rawValue)"])
                    : .no("endpoint is \(endpoint.rawValue), not \(endpoints.map(\.rawValue).joined(separator: ", "))")
            )
        }
        if let sources {
            let source = request.principal.source
            parts.append(
                sources.contains(source)
                    ? .yes(["source \(source)"]) : .no("source is \(source), not \(sources.joined(separator: ", "))")
            )
        }
        if let wanted = self.groups {
            let shared = wanted.filter(groups.contains)
            parts.append(
                shared.isEmpty
                    ? .no("principal is in none of the groups \(wanted.joined(separator: ", "))")
                    : .yes(["group \(shared.joined(separator: ", "))"])
            )
        }
        if let models { parts.append(Self.evaluate(models: models, request)) }
        if let entities { parts.append(Self.evaluate(entities: entities, request)) }
        if let prompt { parts.append(Self.evaluate(prompt: prompt, request)) }
        if let tools {
            parts.append(
                !request.bodyInspected
                    ? .unknown(["tools"])
                    : request.usesTools == tools
                        ? .yes([tools ? "declares tools" : "declares no tools"])
                        : .no(request.usesTools ? "request declares tools" : "request declares no tools")
            )
        }
        if let minBodyKB {
            if let bytes = request.bodyBytes ?? (request.bodyInspected ? 0 : nil) {
                parts.append(
                    bytes >= minBodyKB * 1024
                        ? .yes(["body \(bytes / 1024) KB ≥ \(minBodyKB) KB"])
                        : .no("body is \(bytes / 1024) KB, under \(minBodyKB) KB")
                )
            } else {
                parts.append(.unknown(["body size"]))
            }
        }
        return .all(parts)
    }

    static func evaluate(models: [Glob], _ request: PolicyRequest) -> ConditionMatch {
        guard let model = request.model else {
            return request.bodyInspected ? .no("request names no model") : .unknown(["model"])
        }
        return models.contains(where: { $0.matches(model) })
            ? .yes(["model \(model)"]) : .no("model is \(model), not \(models.map(\.pattern).joined(separator: ", "))")
    }

    private static func evaluate(entities: [String], _ request: PolicyRequest) -> ConditionMatch {
        guard request.bodyInspected else { return .unknown(["entities"]) }
        let found = Dictionary(request.entities.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: +)
        let present = entities.filter { (found[$0] ?? 0) > 0 }
        return present.isEmpty
            ? .no("no \(entities.joined(separator: ", ")) found in the request")
            : .yes(present.map { "\(found[$0] ?? 0)× \($0)" })
    }

    private static func evaluate(prompt: [PromptPattern], _ request: PolicyRequest) -> ConditionMatch {
        guard request.bodyInspected else { return .unknown(["prompt"]) }
        guard let text = request.text else { return .no("request has no prompt text") }
        if let hit = prompt.first(where: { $0.matches(text) }) {
            return .yes(["prompt matches '\(hit.source)'"])
        }
        return .no("prompt matches none of \(prompt.map { "'\($0.source)'" }.joined(separator: ", "))")
    }

    /// `when` and not `unless`, in three values.
    static func evaluate(
        when: RuleCondition,
        unless: RuleCondition?,
        _ request: PolicyRequest,
        groups: Set<String>
    ) -> ConditionMatch {
        let main = when.evaluate(request, groups: groups)
        if case .no = main { return main }
        guard let unless else { return main }
        switch unless.evaluate(request, groups: groups) {
        case .yes(let how): return .no("exempt (unless: \(how.joined(separator: ", ")))")
        case .no: return main
        case .unknown(let fields):
            if case .unknown(let more) = main { return .unknown(more + fields) }
            return .unknown(fields)
        }
    }
}
