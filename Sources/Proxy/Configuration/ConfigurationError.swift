/// A configuration or rules file that cannot be used; the message names the file, the line and the fix.
public struct ConfigurationError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of problem this is.
    public enum Code: String, Sendable {
        case unreadable, syntax, unknownKey, invalidValue
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
