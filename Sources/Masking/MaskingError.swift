/// An error raised while loading or compiling masking rules.
///
/// Masking never fails on input data: a stream that no detector matches passes through.
/// Errors arise only from rule sets (a duplicate rule id, an invalid regular expression, a
/// term list that is empty), so a daemon can refuse a bad rule file at start-up and say
/// which rule to fix. Two errors are equal when their codes are equal; the message says
/// what failed and what to do next.
package struct MaskingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; new codes can be added without breaking callers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case invalidRule
            case duplicateRuleID
            case invalidEntity
            case invalidTerm
            case invalidRegex
            case tooManyRules
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// A rule is structurally wrong (missing detector, bad length bound).
        package static let invalidRule = Code(.invalidRule)
        /// Two rules share an id; ids name rules in findings and audit records.
        package static let duplicateRuleID = Code(.duplicateRuleID)
        /// An entity name is not `[A-Z][A-Z0-9_]*`, which placeholders rely on.
        package static let invalidEntity = Code(.invalidEntity)
        /// A term list is empty or contains an empty term.
        package static let invalidTerm = Code(.invalidTerm)
        /// A user regular expression does not compile or has no usable length bound.
        package static let invalidRegex = Code(.invalidRegex)
        /// More rules apply to one direction than the matcher supports.
        package static let tooManyRules = Code(.tooManyRules)

        package var description: String {
            switch backing {
            case .invalidRule: "invalidRule"
            case .duplicateRuleID: "duplicateRuleID"
            case .invalidEntity: "invalidEntity"
            case .invalidTerm: "invalidTerm"
            case .invalidRegex: "invalidRegex"
            case .tooManyRules: "tooManyRules"
            }
        }
    }

    /// What kind of failure this is.
    package let code: Code
    /// What failed and what to do next, for an operator.
    package let message: String
    /// The source file that raised the error.
    package let file: String
    /// The source line that raised the error.
    package let line: Int

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What failed and what to do next.
    ///   - file: The raising file; defaults to the caller's.
    ///   - line: The raising line; defaults to the caller's.
    package init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    package static func == (lhs: MaskingError, rhs: MaskingError) -> Bool {
        lhs.code == rhs.code
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    package var description: String {
        "MaskingError.\(code): \(message)"
    }
}
