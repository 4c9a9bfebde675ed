/// What the policy decided for one request, why, and what the user can do next.
public struct PolicyDecision: Sendable, Hashable, Encodable {
    /// The verdict.
    public enum Outcome: Sendable, Hashable, Encodable, CustomStringConvertible {
        /// Forward the request.
        case allow
        /// Forward the request; the named grant made it possible.
        case allowUnderGrant(String)
        /// Refuse the request with ``PolicyDecision/reason``.
        case deny
        /// Keep the request open until an approver decides (``PolicyDecision/approvalRule``).
        case hold
        /// Refuse now; open an approval whose grant lets a retry through.
        case ticket

        /// `allow`, `allow-under-grant`, `deny`, `hold` or `ticket`.
        public var name: String {
            switch self {
            case .allow: "allow"
            case .allowUnderGrant: "allow-under-grant"
            case .deny: "deny"
            case .hold: "hold"
            case .ticket: "ticket"
            }
        }

        /// Whether the request may be forwarded now.
        public var forwards: Bool {
            switch self {
            case .allow, .allowUnderGrant: true
            case .deny, .hold, .ticket: false
            }
        }

        public var description: String {
            if case .allowUnderGrant(let id) = self { return "\(name) \(id)" }
            return name
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(name)
        }
    }

    /// The verdict.
    public let outcome: Outcome
    /// The rules (and grant) that decided, e.g. `["deny:no-fine-tuning-from-ci"]`, `["group:engineering"]`.
    public let matchedRules: [String]
    /// For the user: what happened and what to do next.
    public let reason: String
    /// The approval rule, for ``Outcome/hold`` and ``Outcome/ticket``.
    public let approvalRule: ApprovalRule?
    /// The masking rule set to apply to this exchange.
    public let maskingRuleSet: String
    /// The groups the principal was evaluated with.
    public let groups: [String]
    /// Every rule considered, in order, for `chaperone policy explain`.
    public let trace: [ExplainStep]
    /// The hash of the policy that decided.
    public let policyHash: String

    /// The grant that let the request through, for ``Outcome/allowUnderGrant(_:)``.
    public var grantID: String? {
        if case .allowUnderGrant(let id) = outcome { return id }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case outcome
        case grantID = "grant"
        case matchedRules = "matched_rules"
        case reason
        case approvalRule = "approval_rule"
        case maskingRuleSet = "masking"
        case groups, trace
        case policyHash = "policy_hash"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(outcome, forKey: .outcome)
        try container.encodeIfPresent(grantID, forKey: .grantID)
        try container.encode(matchedRules, forKey: .matchedRules)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(approvalRule, forKey: .approvalRule)
        try container.encode(maskingRuleSet, forKey: .maskingRuleSet)
        try container.encode(groups, forKey: .groups)
        try container.encode(trace, forKey: .trace)
        try container.encode(policyHash, forKey: .policyHash)
    }
}
