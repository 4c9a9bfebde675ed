/// A loaded, validated policy: what the daemon consults for every intercepted request.
///
/// A value type, so a reload swaps one `Policy` for another atomically and requests already
/// being decided keep the policy they started with. Build one with ``load(directory:)`` or
/// ``init(files:knownProviders:)``; both validate everything and throw every problem at once.
public struct Policy: Sendable {
    /// The merged rules.
    public let document: PolicyDocument
    /// The files it was built from, sorted by name, for the audit log's `policy.snapshot`.
    public let files: [PolicyFile]
    /// Lowercase hex SHA-256 over ``files``; every audit event carries it.
    public let hash: String

    /// Builds a policy from file contents.
    ///
    /// `policy.yaml` must be among the files; other names are fragments (`policy.d/*.yaml`)
    /// read after it in name order.
    ///
    /// - Parameters:
    ///   - files: The policy files, names relative to the rules directory.
    ///   - knownProviders: Provider names from the intercept list; when given, a policy naming
    ///     another provider is refused with a suggestion.
    /// - Throws: ``PolicyError`` with every problem found.
    public init(files: [PolicyFile], knownProviders: Set<String>? = nil) throws(PolicyError) {
        let sorted = files.sorted { $0.name < $1.name }
        guard sorted.contains(where: { $0.name == PolicyParser.mainFile }) else {
            throw PolicyError(diagnostics: [
                PolicyDiagnostic(
                    file: PolicyParser.mainFile,
                    line: 1,
                    column: 1,
                    message:
                        "there is no policy.yaml; copy the shipped Rules/policy.yaml into the rules directory and adapt it"
                )
            ])
        }
        var parser = PolicyParser(knownProviders: knownProviders)
        let evaluationOrder =
            sorted.filter { $0.name == PolicyParser.mainFile } + sorted.filter { $0.name != PolicyParser.mainFile }
        for file in evaluationOrder {
            parser.parse(name: file.name, text: file.text)
        }
        switch parser.finish() {
        case .success(let document):
            self.document = document
        case .failure(let error):
            throw error
        }
        self.files = sorted
        self.hash = PolicyHash.digest(of: sorted)
    }
}
