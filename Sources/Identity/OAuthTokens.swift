import Foundation

/// A successful answer of an OAuth token endpoint (RFC 6749 §5.1) as Chaperone uses it: the
/// ID token that names the user, and the refresh token that renews it.
///
/// The access token is not kept: Chaperone calls no API with it. The description redacts both
/// tokens, so an `OAuthTokens` can be logged without leaking them.
public struct OAuthTokens: Sendable, Hashable, CustomStringConvertible {
    /// The OIDC ID token (a JWS), when the issuer returned one (`openid` scope).
    public var idToken: String?
    /// The refresh token, when the issuer returned one (`offline_access`, or by its policy).
    public var refreshToken: RefreshToken?
    /// `expires_in` of the access token, in seconds.
    public var expiresIn: Int?

    public init(idToken: String?, refreshToken: RefreshToken?, expiresIn: Int? = nil) {
        self.idToken = idToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }

    public var description: String {
        "OAuthTokens(idToken: \(self.idToken == nil ? "none" : "<id token>"), refreshToken: \(self.refreshToken == nil ? "none" : "<refresh token>"))"
    }

    /// Reads a token endpoint's JSON answer.
    /// - Throws: `LoginError.Code.protocolError` when it is not a JSON object.
    static func parse(_ data: Data, from url: URL) throws(LoginError) -> OAuthTokens {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoginError(code: .protocolError, message: "\(url) answered 200 with something that is not a JSON token response; check the issuer's token_endpoint")
        }
        let idToken = (object["id_token"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        let refreshToken = (object["refresh_token"] as? String).flatMap { $0.isEmpty ? nil : RefreshToken($0) }
        let expiresIn = (object["expires_in"] as? NSNumber)?.intValue
        return OAuthTokens(idToken: idToken, refreshToken: refreshToken, expiresIn: expiresIn)
    }
}
