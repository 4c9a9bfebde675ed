public import Foundation

/// A rule under `approvals:`: a request it matches needs a person's approval first.
///
/// `hold` keeps the request open while approvers decide (for interactive use, minutes);
/// `ticket` refuses it at once with an approval id, and approving creates a time-bound
/// grant so the retried request passes (for jobs that can be re-run).
public struct ApprovalRule: Sendable, Hashable, Codable {
    /// How the requester waits.
    public enum Mode: String, Sendable, Hashable, Codable {
        /// The request waits up to ``ApprovalRule/timeout`` for a decision.
        case hold
        /// The request is refused with an approval id; approval creates a grant.
        case ticket
    }

    /// What a held request gets when nobody decides in time.
    public enum Failure: String, Sendable, Hashable, Codable {
        /// Refused.
        case closed
        /// Let through, recorded as such.
        case open
    }

    /// The rule's name; grants created by approving it carry it.
    public var name: String
    /// What must be true for the rule to apply.
    public var when: RuleCondition
    /// Exceptions: when this matches too, no approval is needed.
    public var unless: RuleCondition?
    /// `hold` or `ticket`.
    public var mode: Mode
    /// Groups whose members may approve.
    public var approvers: [String]
    /// How long a held request waits, or how long a ticket stays open.
    public var timeout: TimeInterval
    /// How long the grant created by approving a ticket lasts.
    public var grantFor: TimeInterval
    /// Whether the approver must give a reason.
    public var requireJustification: Bool
    /// What a held request gets when nobody decides in time.
    public var fail: Failure
    /// Where the rule is defined, `file:line:column`.
    public var location: String

    /// Creates an approval rule.
    ///
    /// - Parameters:
    ///   - name: The rule's name.
    ///   - when: The condition.
    ///   - unless: Exceptions.
    ///   - mode: `hold` or `ticket`.
    ///   - approvers: Groups whose members may approve.
    ///   - timeout: How long a request waits (hold) or a ticket stays open.
    ///   - grantFor: How long a ticket's grant lasts.
    ///   - requireJustification: Whether approvers must give a reason.
    ///   - fail: What a held request gets when nobody decides in time.
    ///   - location: Where it is defined.
    public init(
        name: String,
        when: RuleCondition,
        unless: RuleCondition? = nil,
        mode: Mode,
        approvers: [String],
        timeout: TimeInterval = 300,
        grantFor: TimeInterval = 3600,
        requireJustification: Bool = false,
        fail: Failure = .closed,
        location: String = ""
    ) {
        self.name = name
        self.when = when
        self.unless = unless
        self.mode = mode
        self.approvers = approvers
        self.timeout = timeout
        self.grantFor = grantFor
        self.requireJustification = requireJustification
        self.fail = fail
        self.location = location
    }

    enum CodingKeys: String, CodingKey {
        case name, when, unless, mode, approvers, fail, location
        case timeout = "timeout_seconds"
        case grantFor = "grant_for_seconds"
        case requireJustification = "require_justification"
    }
}
