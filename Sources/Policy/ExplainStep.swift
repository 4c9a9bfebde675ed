/// One rule the policy considered for a request, and what came of it.
public struct ExplainStep: Sendable, Hashable, Codable {
    /// Where in the evaluation order the step happened.
    public enum Stage: String, Sendable, Hashable, Codable {
        case authentication, deny, approval, access, grant
    }

    /// What the rule's condition said about the request.
    public enum Result: String, Sendable, Hashable, Codable {
        /// The rule applies.
        case matched
        /// The rule does not apply.
        case notMatched = "not-matched"
        /// The rule needs a body field that was not inspected.
        case unknown
    }

    /// The stage.
    public let stage: Stage
    /// The rule, group or grant considered (`deny:no-fine-tuning-from-ci`, `group:ci`).
    public let rule: String
    /// What its condition said.
    public let result: Result
    /// Why, in words.
    public let detail: String

    /// Creates a step.
    public init(stage: Stage, rule: String, result: Result, detail: String) {
        self.stage = stage
        self.rule = rule
        self.result = result
        self.detail = detail
    }
}
