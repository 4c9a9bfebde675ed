/// One masking rule: what to look for, what to call it, what to do with it and where.
///
/// Rules are plain data so a security team can review them as YAML (`Rules/masking.yaml`);
/// the file's keys are this type's coding keys. Exactly one of `builtin`, `terms` or
/// `regex` (with `maxLength`) names the detector:
///
/// ```yaml
/// - id: ticket-ids
///   entity: TICKET
///   regex: 'ACME-[0-9]{4,6}'
///   maxLength: 11
///   action: redact
///   directions: [request, record]
/// ```
package struct MaskingRule: Hashable, Sendable {
    /// A stable identifier, unique in its rule set; findings and audit events cite it.
    package var id: String
    /// The entity type reported and used in placeholders.
    package var entity: EntityType
    /// What the rule looks for.
    package var detector: DetectorSpec
    /// What replaces a match.
    package var action: MaskingAction
    /// Where the rule applies.
    package var directions: Set<MaskingDirection>
    /// Tie-break between equally long matches at one position; higher wins.
    package var priority: Int
    /// Whether the rule is active; a disabled rule stays in the file for review.
    package var isEnabled: Bool

    /// Creates a rule.
    ///
    /// - Parameters:
    ///   - id: The rule's unique id.
    ///   - entity: The entity type; defaults to the built-in detector's.
    ///   - detector: What to look for.
    ///   - action: What replaces a match.
    ///   - directions: Where the rule applies; defaults to all.
    ///   - priority: Tie-break priority; defaults to the built-in's, else 0.
    ///   - isEnabled: Whether the rule is active.
    package init(
        id: String,
        entity: EntityType? = nil,
        detector: DetectorSpec,
        action: MaskingAction,
        directions: Set<MaskingDirection> = Set(MaskingDirection.allCases),
        priority: Int? = nil,
        isEnabled: Bool = true
    ) {
        self.id = id
        self.detector = detector
        self.action = action
        self.directions = directions
        self.isEnabled = isEnabled
        switch detector {
        case .builtin(let builtin):
            self.entity = entity ?? builtin.entity
            self.priority = priority ?? builtin.defaultPriority
        case .terms, .regex:
            self.entity = entity ?? EntityType(rawValue: "CUSTOM")
            self.priority = priority ?? 0
        }
    }

    /// A rule for a built-in detector with its default entity and priority.
    ///
    /// - Parameters:
    ///   - builtin: The detector.
    ///   - action: What replaces a match.
    package static func builtin(_ builtin: BuiltinDetector, action: MaskingAction) -> MaskingRule {
        MaskingRule(id: builtin.rawValue.replacingUnderscores(), detector: .builtin(builtin), action: action)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
