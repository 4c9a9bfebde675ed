/// An OAuth refresh token, opaque and secret.
///
/// A type of its own so that it cannot be printed, logged or encoded by accident: its
/// descriptions are `<refresh token>`, it is not `Codable`, and its text is visible only inside
/// this package. The daemon keeps refresh tokens in memory only, per uid, and never answers one.
public struct RefreshToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The token as the issuer issued it.
    package let value: String

    /// Wraps a refresh token the issuer issued.
    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<refresh token>" }
    public var debugDescription: String { "<refresh token>" }
}
