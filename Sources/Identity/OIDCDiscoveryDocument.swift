import Foundation

/// The parts of an issuer's OpenID discovery document (`ISSUER/.well-known/openid-configuration`)
/// Chaperone uses: where its keys are, and the OAuth endpoints of `chaperone login` and refresh.
public struct OIDCDiscoveryDocument: Sendable, Hashable, Decodable {
    /// The issuer the document speaks for; must equal the issuer it was fetched for.
    public var issuer: String
    /// The JWKS with the issuer's signing keys.
    public var jwksURI: String
    /// The OAuth token endpoint (device code and refresh token grants).
    public var tokenEndpoint: String?
    /// The RFC 8628 device authorization endpoint; absent when the issuer has no device flow.
    public var deviceAuthorizationEndpoint: String?

    private enum CodingKeys: String, CodingKey {
        case issuer
        case jwksURI = "jwks_uri"
        case tokenEndpoint = "token_endpoint"
        case deviceAuthorizationEndpoint = "device_authorization_endpoint"
    }

    public init(issuer: String, jwksURI: String, tokenEndpoint: String? = nil, deviceAuthorizationEndpoint: String? = nil) {
        self.issuer = issuer
        self.jwksURI = jwksURI
        self.tokenEndpoint = tokenEndpoint
        self.deviceAuthorizationEndpoint = deviceAuthorizationEndpoint
    }

    /// Fetches and checks `issuer`'s discovery document.
    /// - Parameters:
    ///   - issuer: The issuer, exactly as its tokens spell `iss`.
    ///   - fetcher: The HTTPS client.
    /// - Throws: `TokenError.Code.discoveryFailed` when the document cannot be fetched, is not a
    ///   discovery document, or names another issuer (OIDC Discovery §4.3).
    public static func fetch(for issuer: TrustedIssuer, fetcher: HTTPSFetcher) async throws(TokenError) -> OIDCDiscoveryDocument {
        let id = issuer.identifier
        guard let discoveryURL = issuer.discoveryURL else {
            throw TokenError(code: .discoveryFailed, message: "issuer '\(id)' is not a URL; fix `identity.issuers`")
        }
        let data = try await fetcher.get(discoveryURL)
        guard let document = try? JSONDecoder().decode(OIDCDiscoveryDocument.self, from: data) else {
            throw TokenError(
                code: .discoveryFailed,
                message: "\(discoveryURL) is not an OpenID discovery document (no string `issuer` and `jwks_uri`); check the issuer URL"
            )
        }
        // OIDC Discovery §4.3: the document's issuer must be the one it was fetched for.
        guard document.issuer == id else {
            throw TokenError(
                code: .discoveryFailed,
                message: "\(discoveryURL) names issuer '\(document.issuer)', not '\(id)'; configure the issuer exactly as the IdP spells it"
            )
        }
        return document
    }

    /// `value` as an https URL, or `nil` when it is absent or not https.
    static func httpsURL(_ value: String?) -> URL? {
        guard let value, let url = URL(string: value), url.scheme?.lowercased() == "https", url.host != nil else { return nil }
        return url
    }
}
