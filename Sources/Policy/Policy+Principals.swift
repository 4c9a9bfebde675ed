extension Policy {
    /// The groups a principal is evaluated with.
    ///
    /// A token's groups plus those its source joins (`sources:`); for a local account without
    /// a token, only the groups `unix_users` maps it to, or the group named by
    /// `defaults.unauthenticated: group:NAME`. A local account's own group claims are ignored:
    /// no issuer vouches for them.
    ///
    /// - Parameter principal: Who sent the request.
    /// - Returns: Group names, without duplicates, in first-seen order.
    public func groups(for principal: PolicyPrincipal) -> [String] {
        var groups: [String] = []
        if principal.isAuthenticated {
            groups = principal.groups + (document.sources[principal.source] ?? [])
        } else if let mapped = principal.unixUser.flatMap({ document.unixUsers[$0] }) {
            groups = mapped
        } else if case .group(let name) = document.defaults.unauthenticated {
            groups = [name]
        }
        var seen = Set<String>()
        return groups.filter { seen.insert($0).inserted }
    }

    /// The principal with ``groups(for:)`` as its groups: pass this to ``ApprovalBook`` so an
    /// approver mapped by `unix_users` or `sources` is recognised.
    public func resolvingGroups(of principal: PolicyPrincipal) -> PolicyPrincipal {
        var resolved = principal
        resolved.groups = groups(for: principal)
        return resolved
    }

    /// Whether a local account without a token is listed under `unix_users`.
    func isMappedUnixUser(_ principal: PolicyPrincipal) -> Bool {
        !principal.isAuthenticated && principal.unixUser.map { document.unixUsers[$0] != nil } == true
    }

    /// The masking rule set for a principal: the first group (in policy order) it belongs to
    /// that names one, else `defaults.masking`.
    public func maskingRuleSet(for principal: PolicyPrincipal) -> String {
        let groups = Set(groups(for: principal))
        return document.groups.first { groups.contains($0.name) && $0.masking != nil }?.masking
            ?? document.defaults.masking
    }

    /// Whether any rule or group looks at the body (model, entities, prompt, tools): when
    /// `false`, the proxy may decide from the headers alone and stream the body straight on.
    public var needsBody: Bool {
        document.groups.contains { $0.models != nil }
            || document.deny.contains { $0.when.needsBody || $0.unless?.needsBody == true }
            || document.approvals.contains { $0.when.needsBody || $0.unless?.needsBody == true }
    }

    /// `defaults.inspect_limit_kb` in bytes: bodies above it are decided as not inspected.
    public var inspectLimitBytes: Int { document.defaults.inspectLimitKB * 1024 }
}
