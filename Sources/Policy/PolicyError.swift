/// Why a policy could not be loaded: every problem found, not just the first.
///
/// The daemon keeps the previous policy in force when a reload fails and logs this error;
/// `chaperone policy check` prints it. Each diagnostic names the file, line and column, what
/// is wrong and what to write instead.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, in file order.
    public let diagnostics: [PolicyDiagnostic]

    /// Creates an error from diagnostics.
    ///
    /// - Parameter diagnostics: At least one problem.
    public init(diagnostics: [PolicyDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line, `file:line:column: message`.
    public var description: String {
        let count = diagnostics.count == 1 ? "1 problem" : "\(diagnostics.count) problems"
        return
            (["policy not loaded (\(count)); the previous policy, if any, stays in force:"]
            + diagnostics.map(\.description)).joined(separator: "\n")
    }
}
