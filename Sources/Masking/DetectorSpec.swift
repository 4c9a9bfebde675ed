/// What a rule looks for: a built-in detector, a list of organisation terms, or a user
/// regular expression with a declared maximum length.
package enum DetectorSpec: Hashable, Sendable {
    /// A hand-written detector.
    case builtin(BuiltinDetector)
    /// Exact terms, case-insensitive, whole words.
    case terms([String])
    /// A regular expression; `maxLength` bounds a match in UTF-8 bytes and therefore the
    /// stream hold-back.
    case regex(pattern: String, maxLength: Int, caseInsensitive: Bool)
}
