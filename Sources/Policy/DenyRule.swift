/// A rule under `deny:`: the first one that matches refuses the request, whatever the
/// principal's groups and grants.
public struct DenyRule: Sendable, Hashable, Codable {
    /// The rule's name, recorded in the audit log.
    public var name: String
    /// What must be true for the rule to apply.
    public var when: RuleCondition
    /// Exceptions: when this matches too, the rule does not apply.
    public var unless: RuleCondition?
    /// What the user is told.
    public var message: String
    /// Where the rule is defined, `file:line:column`.
    public var location: String

    /// Creates a deny rule.
    ///
    /// - Parameters:
    ///   - name: The rule's name.
    ///   - when: The condition.
    ///   - unless: Exceptions.
    ///   - message: What the user is told.
    ///   - location: Where it is defined.
    public init(name: String, when: RuleCondition, unless: RuleCondition? = nil, message: String, location: String = "")
    {
        self.name = name
        self.when = when
        self.unless = unless
        self.message = message
        self.location = location
    }
}
