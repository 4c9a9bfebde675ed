/// Why grants could not be saved or loaded.
public struct GrantStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What failed and what to do next.
    public let message: String

    /// Creates an error.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
