public import Foundation

/// Fetches the identity token a CI system gives a running job, for `chaperone token set`.
///
/// GitHub Actions hands a job with `permissions: id-token: write` a request URL and a bearer
/// token in `ACTIONS_ID_TOKEN_REQUEST_URL` / `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; a GET with the
/// audience appended returns `{"value": "<JWT>"}`. GitLab CI puts the tokens a job declares under
/// `id_tokens:` straight into environment variables of the names the job chooses.
public enum CIIdentityToken {
    /// The GitHub Actions OIDC token for `audience`.
    ///
    /// - Parameters:
    ///   - audience: The `aud` the token must carry (the daemon's configured audience).
    ///   - environment: The job's environment.
    ///   - fetcher: The HTTPS client.
    /// - Throws: ``TokenError`` (`discoveryFailed`) saying what is missing or what the endpoint answered.
    public static func gitHubActions(
        audience: String, environment: [String: String] = ProcessInfo.processInfo.environment, fetcher: HTTPSFetcher
    ) async throws(TokenError) -> String {
        guard let requestURL = environment["ACTIONS_ID_TOKEN_REQUEST_URL"],
            let requestToken = environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
        else {
            throw TokenError(
                code: .discoveryFailed,
                message: "ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN are not set: run this inside a GitHub Actions job whose workflow grants `permissions: id-token: write`")
        }
        guard var components = URLComponents(string: requestURL) else {
            throw TokenError(code: .discoveryFailed, message: "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: \(requestURL)")
        }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "audience", value: audience)]
        guard let url = components.url else {
            throw TokenError(code: .discoveryFailed, message: "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: \(requestURL)")
        }
        let body = try await fetcher.get(url, headers: [("Authorization", "bearer \(requestToken)")])
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let value = object["value"] as? String, !value.isEmpty
        else {
            throw TokenError(code: .discoveryFailed, message: "the Actions token endpoint answered without a `value`")
        }
        return value
    }

    /// The GitLab CI token the job declared under `id_tokens:` as `variable`.
    ///
    /// - Throws: ``TokenError`` (`malformed`) when the variable is absent, naming the YAML to add.
    public static func gitLabCI(
        variable: String = "CHAPERONE_ID_TOKEN", environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(TokenError) -> String {
        guard let token = environment[variable], !token.isEmpty else {
            throw TokenError(
                code: .malformed,
                message: "$\(variable) is not set: declare it in the job as `id_tokens: { \(variable): { aud: chaperone } }`")
        }
        return token
    }
}
