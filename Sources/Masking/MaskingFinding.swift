/// One value a rule matched, as reported to the caller and the audit log.
///
/// A finding never carries the raw value: only where it was (byte offsets into the input
/// stream and into the masked output stream), which rule and entity matched, and what
/// replaced it. Offsets count from the start of the stream, not of a chunk, so findings of
/// a stream are identical however the stream was cut into chunks.
package struct MaskingFinding: Hashable, Sendable, Codable {
    /// The id of the rule that matched.
    package var ruleID: String
    /// The entity type of the rule.
    package var entity: EntityType
    /// The action that was applied.
    package var action: MaskingAction
    /// Byte offsets of the matched value in the input stream. For a private-key block the
    /// range covers the begin marker; the body up to the end marker is swallowed under
    /// the same finding.
    package var inputRange: Range<Int>
    /// Byte offsets of the replacement in the output stream.
    package var outputRange: Range<Int>
    /// The text that replaced the value (`[EMAIL_3]`); never the value.
    package var replacement: String
    /// Whether the caller must refuse the exchange (the rule's action is `block`).
    package var isBlocking: Bool

    /// Creates a finding.
    ///
    /// - Parameters:
    ///   - ruleID: The matching rule's id.
    ///   - entity: The matching rule's entity type.
    ///   - action: The applied action.
    ///   - inputRange: Offsets of the value in the input stream.
    ///   - outputRange: Offsets of the replacement in the output stream.
    ///   - replacement: The replacement text.
    package init(
        ruleID: String,
        entity: EntityType,
        action: MaskingAction,
        inputRange: Range<Int>,
        outputRange: Range<Int>,
        replacement: String
    ) {
        self.ruleID = ruleID
        self.entity = entity
        self.action = action
        self.inputRange = inputRange
        self.outputRange = outputRange
        self.replacement = replacement
        self.isBlocking = action == .block
    }
}
