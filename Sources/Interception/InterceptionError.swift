/// A failure to install, remove or inspect the redirect; the message says what to do.
public struct InterceptionError: Error, Hashable, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case toolMissing, commandFailed, unknownUser, resolutionFailed, nothingToRedirect, netlinkFailed
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
