/// The masking engine for one direction: compiled rules, one-shot masking and streams.
///
/// Build one per direction when rules are loaded and share it; it is immutable and
/// `Sendable`. ``mask(_:session:)`` and ``makeStream(session:)`` run the same scanner, so
/// a stream masks exactly like the whole text at once.
package struct Masker: Sendable {
    let rules: CompiledRules

    /// Compiles the rules of `ruleSet` that apply to `direction`.
    ///
    /// - Parameters:
    ///   - ruleSet: The rules; defaults to the built-in defaults.
    ///   - direction: Where the masker runs.
    /// - Throws: ``MaskingError`` naming the first faulty rule.
    package init(rules ruleSet: MaskingRuleSet = .defaults, direction: MaskingDirection) throws(MaskingError) {
        self.rules = try CompiledRules(ruleSet: ruleSet, direction: direction)
    }

    /// The most bytes a stream can hold back outside a key block: the longest detector
    /// window plus an incomplete UTF-8 sequence.
    package var maximumHoldBack: Int {
        rules.maximumHoldBack
    }

    /// The ids of the active rules in tie-break order.
    package var activeRuleIDs: [String] {
        rules.entries.map(\.rule.id)
    }

    /// A masker for one stream.
    ///
    /// - Parameters:
    ///   - session: The session whose pseudonyms and key the stream shares.
    package func makeStream(session: MaskingSession) -> StreamMasker {
        StreamMasker(rules: rules, session: session)
    }

    /// Masks a whole input at once.
    ///
    /// - Parameters:
    ///   - bytes: The input.
    ///   - session: The session; a fresh one by default.
    package func mask(_ bytes: some Collection<UInt8>, session: MaskingSession = MaskingSession()) -> MaskedOutput {
        var stream = makeStream(session: session)
        var output = stream.feed(bytes)
        output.append(stream.finish())
        return output
    }

    /// Masks a whole text at once.
    ///
    /// - Parameters:
    ///   - text: The input.
    ///   - session: The session; a fresh one by default.
    package func mask(_ text: String, session: MaskingSession = MaskingSession()) -> MaskedOutput {
        mask(Array(text.utf8), session: session)
    }
}
