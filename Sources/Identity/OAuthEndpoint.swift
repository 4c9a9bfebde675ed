import Foundation

/// An OAuth error answer (RFC 6749 §5.2): `{"error": "invalid_grant", "error_description": …}`.
public struct OAuthErrorAnswer: Error, Sendable, Hashable {
    /// The error code: `authorization_pending`, `slow_down`, `invalid_grant`, …
    public var error: String
    /// The issuer's explanation for a person, one line, at most 300 characters.
    public var errorDescription: String?

    public init(error: String, errorDescription: String? = nil) {
        self.error = error
        self.errorDescription = errorDescription
    }

    /// The error as a `LoginError`, for the codes that end an exchange.
    /// - Parameter what: What was asked, for the message: `the device login`, `the refresh`.
    func loginError(_ what: String, issuer: String) -> LoginError {
        let said = self.errorDescription.map { " (\($0))" } ?? ""
        switch self.error {
        case "access_denied":
            return LoginError(code: .accessDenied, message: "the sign-in was declined at \(issuer)\(said); run `chaperone login` again to retry")
        case "expired_token":
            return LoginError(code: .codeExpired, message: "the code expired before it was approved; run `chaperone login` again and enter the new code sooner")
        case "invalid_grant":
            return LoginError(code: .invalidGrant, message: "\(issuer) refused \(what): invalid_grant\(said); run `chaperone login` again")
        case "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope":
            return LoginError(
                code: .invalidClient,
                message: "\(issuer) refused \(what): \(self.error)\(said); check the client id (--client-id, `identity.issuers[].client_id`), that the client is a public client allowed the device code and refresh token grants, and the scopes (--scope)")
        case "temporarily_unavailable", "server_error":
            return LoginError(code: .issuerUnreachable, message: "\(issuer) cannot answer \(what) now: \(self.error)\(said); try again in a minute")
        default:
            return LoginError(code: .protocolError, message: "\(issuer) refused \(what): \(self.error)\(said)")
        }
    }
}

/// POSTs a form to an OAuth endpoint (device authorization or token) and sorts the answer:
/// a 200 body, an OAuth error, or a `LoginError` when there is neither.
enum OAuthEndpoint {
    /// - Returns: The body of a 200 answer, or the OAuth error the endpoint answered.
    /// - Throws: `LoginError` `issuerUnreachable` (network, TLS, timeout, 429, 5xx without an
    ///   OAuth error) or `protocolError` (another status without an OAuth error).
    static func post(
        _ url: URL, fields: [(name: String, value: String)], fetcher: HTTPSFetcher
    ) async throws(LoginError) -> Result<Data, OAuthErrorAnswer> {
        let response: HTTPSResponse
        do {
            response = try await fetcher.postForm(url, fields: fields)
        } catch {
            throw LoginError(code: .issuerUnreachable, message: error.message)
        }
        if response.status == 200 {
            return .success(response.body)
        }
        if let answer = Self.errorAnswer(in: response.body) {
            return .failure(answer)
        }
        if response.status == 429 || response.status >= 500 {
            throw LoginError(code: .issuerUnreachable, message: "\(url) answered HTTP \(response.status); try again in a minute")
        }
        throw LoginError(
            code: .protocolError,
            message: "\(url) answered HTTP \(response.status) without an OAuth error; check the issuer's discovery document")
    }

    /// The OAuth error in `body`, if it is one.
    static func errorAnswer(in body: Data) -> OAuthErrorAnswer? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let error = object["error"] as? String, !error.isEmpty
        else { return nil }
        let description = (object["error_description"] as? String).map(Self.oneLine)
        return OAuthErrorAnswer(error: Self.oneLine(error), errorDescription: description)
    }

    /// `text` on one line, at most 300 characters: an issuer's text is shown, not trusted.
    private static func oneLine(_ text: String) -> String {
        let flat = String(text.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : Character($0) })
        return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
    }
}
