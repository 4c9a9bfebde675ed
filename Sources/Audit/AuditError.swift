/// An error from the audit library: what failed and what to do next.
///
/// Equal by ``code``, so callers can match on the kind of failure while the message carries
/// the detail (path, seq, SQLite message) a human needs.
public struct AuditError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// The database file could not be opened or migrated.
        case cannotOpen
        /// A read or write against the database failed.
        case database
        /// The signing key file could not be read, created or parsed.
        case signingKey
        /// A key file has permissions that let other users read it.
        case insecureKeyFile
        /// A public key (PEM) could not be parsed.
        case publicKey
        /// A value cannot be written in canonical JSON (non-finite number, invalid UTF-8).
        case encoding
        /// Text that should be canonical JSON could not be parsed.
        case malformedJSON
        /// An evidence export could not be written or read.
        case export
        /// The store was closed.
        case closed
    }

    /// The kind of failure.
    public var code: Code
    /// What failed and what to do next.
    public var message: String
    /// Where the error was raised, for bug reports.
    public var location: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What failed and what the user should do next.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.location = "\(file):\(line)"
    }

    public var description: String { message }

    public static func == (lhs: AuditError, rhs: AuditError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
