public import Foundation

/// An OIDC issuer whose tokens the daemon accepts.
///
/// A token is accepted only when its `iss` equals ``issuer`` character for character (no
/// trailing-slash or case folding: OIDC Discovery §4.3 requires the exact string) and its `aud`
/// names ``audience``.
public struct TrustedIssuer: Sendable, Hashable {
    /// The issuer identifier, e.g. `https://token.actions.githubusercontent.com`. Its
    /// `/.well-known/openid-configuration` names the JWKS.
    public var issuer: URL
    /// The audience a token must be minted for.
    public var audience: String
    /// The claim that lists the user's groups (`groups`, or e.g. `roles` for Entra ID).
    public var groupsClaim: String
    /// Tolerance, in seconds, for `exp`, `nbf` and `iat` against this host's clock.
    public var clockSkew: Int
    /// The OAuth client id `chaperone login` and the daemon's refresh use, when it is not
    /// ``audience`` (ID tokens carry the client id in `aud`, so the two are usually the same).
    public var clientID: String?

    /// - Parameters:
    ///   - issuer: The issuer identifier, exactly as tokens carry it in `iss`.
    ///   - audience: The audience tokens must be minted for.
    ///   - groupsClaim: The claim that lists the user's groups.
    ///   - clockSkew: Tolerance in seconds for the time claims.
    ///   - clientID: The OAuth client id for login and refresh; `nil` is ``audience``.
    public init(issuer: URL, audience: String, groupsClaim: String = "groups", clockSkew: Int = 60, clientID: String? = nil) {
        self.issuer = issuer
        self.audience = audience
        self.groupsClaim = groupsClaim
        self.clockSkew = clockSkew
        self.clientID = clientID
    }

    /// The OAuth client id: ``clientID``, else ``audience``.
    public var oauthClientID: String { self.clientID ?? self.audience }

    /// The issuer as `iss` must spell it.
    public var identifier: String { self.issuer.absoluteString }

    /// `ISSUER/.well-known/openid-configuration` (a trailing slash of the issuer is not doubled).
    var discoveryURL: URL? {
        var text = self.identifier
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/.well-known/openid-configuration")
    }
}

extension TrustedIssuer {
    /// GitHub Actions' OIDC issuer.
    public static let githubActionsIssuer = "https://token.actions.githubusercontent.com"
    /// GitLab.com's issuer; self-managed GitLab instances issue from their own URL.
    public static let gitlabIssuer = "https://gitlab.com"
}
