/// An ordered list of masking rules, as loaded from `Rules/masking.yaml`.
///
/// Order matters only as the last tie-break (an earlier rule wins over a later one with
/// equal match length and priority), which keeps masking deterministic for any file.
package struct MaskingRuleSet: Hashable, Sendable, Codable {
    /// The file format version; 1.
    package var version: Int
    /// The rules in file order.
    package var rules: [MaskingRule]

    /// Creates a rule set.
    ///
    /// - Parameters:
    ///   - version: The format version.
    ///   - rules: The rules.
    package init(version: Int = 1, rules: [MaskingRule]) {
        self.version = version
        self.rules = rules
    }

    /// Checks what decoding cannot: unique ids, valid terms and regular expressions.
    ///
    /// - Throws: ``MaskingError`` naming the first faulty rule.
    package func validate() throws(MaskingError) {
        _ = try CompiledRules(ruleSet: self, direction: nil)
    }
}
