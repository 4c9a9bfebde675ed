public import Foundation

/// A token that passed ``TokenVerifier/verify(_:)``: its principal and validity window.
public struct VerifiedToken: Sendable, Hashable {
    public var principal: Principal
    /// `exp`.
    public var expiresAt: Date
    /// `iat`, when the token has one.
    public var issuedAt: Date?
    /// The `kid` of the key that verified it.
    public var keyID: String?

    public init(principal: Principal, expiresAt: Date, issuedAt: Date? = nil, keyID: String? = nil) {
        self.principal = principal
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.keyID = keyID
    }
}
