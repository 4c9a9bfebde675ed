public import Foundation

/// A request waiting for (or past) an approver's decision.
public struct PendingApproval: Sendable, Hashable, Codable, Identifiable {
    /// `apr-` and six characters, e.g. `apr-7KQ2M9`.
    public let id: String
    /// The rule that asked for approval.
    public let rule: ApprovalRule
    /// Who sent the request.
    public let requester: PolicyPrincipal
    /// The provider, for the approver's listing and the ticket's grant.
    public let provider: String?
    /// The model, when the request named one.
    public let model: String?
    /// What the request does.
    public let endpoint: Endpoint
    /// The exchange id in the audit log, so an approver can look at the (masked) request.
    public let exchange: String
    /// When it was asked for.
    public let created: Date
    /// When it expires if nobody decides: `created` plus the rule's timeout.
    public let expires: Date
    /// How it ended, `nil` while pending.
    public internal(set) var resolution: ApprovalResolution?
    /// When it ended.
    public internal(set) var resolved: Date?

    /// Whether nobody has decided yet.
    public var isPending: Bool { resolution == nil }

    /// What the requester is told: the rule's instructions with this approval's id.
    public var instructions: String {
        DecisionRun.approvalReason(rule).replacingOccurrences(of: "approve ID", with: "approve \(id)")
    }
}
