public import Foundation

extension Policy {
    /// Decides one request.
    ///
    /// Order: the unauthenticated check, deny rules (first match refuses), approval rules
    /// (first match: a grant for that rule lets it through, else hold or ticket), then access
    /// by groups (any group allowing provider, model and endpoint together), then grants
    /// without a rule. Anything else is refused with a reason that says what was missing and
    /// what to run. A rule that needs a body field the proxy could not inspect follows
    /// `defaults.on_uninspectable`.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - grants: Grants in force (``GrantBook/active(for:now:)``); expired ones are ignored.
    ///   - now: The current time, for grant expiry.
    /// - Returns: The decision, with a trace of every rule considered.
    public func decide(_ request: PolicyRequest, grants: [Grant], now: Date) -> PolicyDecision {
        var run = DecisionRun(policy: self, request: request, now: now)
        return run.decide(grants: grants)
    }
}

/// One evaluation: the request, the trace so far, and how to finish a decision.
struct DecisionRun {
    let policy: Policy
    let request: PolicyRequest
    let now: Date
    let groups: [String]
    var trace: [ExplainStep] = []

    init(policy: Policy, request: PolicyRequest, now: Date) {
        self.policy = policy
        self.request = request
        self.now = now
        self.groups = policy.groups(for: request.principal)
    }

    private var defaults: PolicyDefaults { policy.document.defaults }
    private var failsClosed: Bool { defaults.onUninspectable == .deny }

    mutating func decide(grants: [Grant]) -> PolicyDecision {
        let grants = grants.filter { $0.isActive(at: now) && $0.applies(to: request.principal) }
        let principal = request.principal
        var anyAccess = false
        if principal.isAuthenticated {
            step(
                .authentication,
                "source:\(principal.source)",
                .matched,
                "token from \(principal.source); groups: \(list(groups))"
            )
        } else if policy.isMappedUnixUser(principal) {
            step(
                .authentication,
                "unix_users:\(principal.unixUser ?? "")",
                .matched,
                "local account mapped to groups \(list(groups))"
            )
        } else {
            switch defaults.unauthenticated {
            case .deny:
                step(
                    .authentication,
                    "defaults.unauthenticated",
                    .matched,
                    "no token and \(accountName) is not under unix_users; unauthenticated: deny"
                )
                return finish(
                    .deny,
                    rules: ["defaults.unauthenticated"],
                    reason:
                        "No identity token for \(accountName). Run `chaperone login` first (CI jobs: hand the job's OIDC token to `chaperone token set`), or ask an admin to map this account under unix_users in policy.yaml."
                )
            case .allow:
                anyAccess = true
                step(
                    .authentication,
                    "defaults.unauthenticated",
                    .matched,
                    "no token; unauthenticated: allow (deny and approval rules still apply)"
                )
            case .group(let name):
                step(
                    .authentication,
                    "defaults.unauthenticated",
                    .matched,
                    "no token; evaluated as a member of group \(name)"
                )
            }
        }
        if let decision = evaluateDenyRules() { return decision }
        if let decision = evaluateApprovalRules(grants: grants) { return decision }
        return evaluateAccess(anyAccess: anyAccess, grants: grants)
    }

    // MARK: Stages

    private mutating func evaluateDenyRules() -> PolicyDecision? {
        for rule in policy.document.deny {
            let name = "deny:\(rule.name)"
            switch RuleCondition.evaluate(when: rule.when, unless: rule.unless, request, groups: Set(groups)) {
            case .yes(let how):
                step(.deny, name, .matched, how.joined(separator: ", "))
                return finish(.deny, rules: [name], reason: rule.message)
            case .no(let why):
                step(.deny, name, .notMatched, why)
            case .unknown(let fields):
                if let decision = uninspectable(stage: .deny, rule: name, fields: fields) { return decision }
            }
        }
        return nil
    }

    private mutating func evaluateApprovalRules(grants: [Grant]) -> PolicyDecision? {
        for rule in policy.document.approvals {
            let name = "approval:\(rule.name)"
            switch RuleCondition.evaluate(when: rule.when, unless: rule.unless, request, groups: Set(groups)) {
            case .no(let why):
                step(.approval, name, .notMatched, why)
                continue
            case .unknown(let fields):
                if let decision = uninspectable(stage: .approval, rule: name, fields: fields) { return decision }
                continue
            case .yes(let how):
                step(.approval, name, .matched, how.joined(separator: ", "))
            }
            if let grant = grants.first(where: { $0.covers(request, rule: rule.name, at: now) }) {
                step(
                    .grant,
                    "grant:\(grant.id)",
                    .matched,
                    "approved for rule \(rule.name) by \(grant.createdBy) until \(grant.expires.formatted(.iso8601))"
                )
                return finish(
                    .allowUnderGrant(grant.id),
                    rules: [name, "grant:\(grant.id)"],
                    reason:
                        "Allowed under grant \(grant.id) (\(grant.reason)), approved by \(grant.createdBy), valid until \(grant.expires.formatted(.iso8601))."
                )
            }
            return finish(
                rule.mode == .hold ? .hold : .ticket,
                rules: [name],
                reason: Self.approvalReason(rule),
                approvalRule: rule
            )
        }
        return nil
    }

    /// What a requester is told when a request needs approval; the proxy appends the id.
    static func approvalReason(_ rule: ApprovalRule) -> String {
        let approvers = rule.approvers.joined(separator: " or ")
        let justification = rule.requireJustification ? " --reason \"…\"" : ""
        switch rule.mode {
        case .hold:
            return
                "Held for approval under rule '\(rule.name)': a member of \(approvers) must run `chaperone approvals approve ID\(justification)` within \(PolicyDuration.format(rule.timeout)); otherwise the request is \(rule.fail == .closed ? "refused" : "let through")."
        case .ticket:
            return
                "Needs approval under rule '\(rule.name)': ask a member of \(approvers) to run `chaperone approvals approve ID\(justification)`, then retry; the approval lets you retry for \(PolicyDuration.format(rule.grantFor))."
        }
    }

    private mutating func uninspectable(stage: ExplainStep.Stage, rule: String, fields: [String]) -> PolicyDecision? {
        let needs = fields.joined(separator: ", ")
        if failsClosed {
            step(stage, rule, .unknown, "needs \(needs) but the body was not inspected; on_uninspectable: deny")
            return finish(
                .deny,
                rules: [rule, "defaults.on_uninspectable"],
                reason:
                    "The request body\(bodySize) was not inspected (larger than \(defaults.inspectLimitKB) KB or unreadable), and rule '\(rule.split(separator: ":", maxSplits: 1).last.map(String.init) ?? rule)' needs its \(needs); the policy fails closed. Send a smaller request, or ask an admin to raise defaults.inspect_limit_kb."
            )
        }
        step(
            stage,
            rule,
            .unknown,
            "needs \(needs) but the body was not inspected; on_uninspectable: allow, so the rule is skipped"
        )
        return nil
    }

    private var bodySize: String {
        request.bodyBytes.map { " (\($0 / 1024) KB)" } ?? ""
    }

    private var accountName: String {
        request.principal.unixUser.map { "local account '\($0)'" } ?? request.principal.subject
    }

    // MARK: Finishing

    mutating func step(_ stage: ExplainStep.Stage, _ rule: String, _ result: ExplainStep.Result, _ detail: String) {
        trace.append(ExplainStep(stage: stage, rule: rule, result: result, detail: detail))
    }

    func finish(
        _ outcome: PolicyDecision.Outcome,
        rules: [String],
        reason: String,
        approvalRule: ApprovalRule? = nil
    ) -> PolicyDecision {
        PolicyDecision(
            outcome: outcome,
            matchedRules: rules,
            reason: reason,
            approvalRule: approvalRule,
            maskingRuleSet: policy.maskingRuleSet(for: request.principal),
            groups: groups,
            trace: trace,
            policyHash: policy.hash
        )
    }

    func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
