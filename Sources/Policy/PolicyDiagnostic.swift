/// One problem found in a policy file, at the place an editor can jump to.
public struct PolicyDiagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file's name relative to the rules directory, e.g. `policy.yaml`.
    public let file: String
    /// The line, from 1.
    public let line: Int
    /// The column, from 1, counted in Unicode scalars.
    public let column: Int
    /// What is wrong and what to write instead.
    public let message: String

    /// Creates a diagnostic.
    ///
    /// - Parameters:
    ///   - file: The file's relative name.
    ///   - line: The line, from 1.
    ///   - column: The column, from 1.
    ///   - message: What is wrong and what to write instead.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, the format editors and CI annotate.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}
