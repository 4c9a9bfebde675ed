public import Foundation

/// The client side of the OAuth 2.0 device authorization grant (RFC 8628), as `chaperone login`
/// runs it: ask the issuer for a user code, let the user approve it in a browser anywhere, and
/// poll the token endpoint until the ID token (and a refresh token) arrive.
///
/// The client is public (no secret: a secret on every developer's host would not be one).
/// Polling waits ``DeviceAuthorization/interval`` between requests, 5 s longer after each
/// `slow_down`, and stops at `expires_in`, at `access_denied` or when the task is cancelled.
/// The clock and the sleep are injected so tests run the whole exchange without waiting.
public struct DeviceFlowClient: Sendable {
    /// The scopes asked for when none are given: the ID token with e-mail, name and groups, and
    /// a refresh token (`offline_access`) so the daemon can renew it.
    public static let defaultScope = "openid email profile groups offline_access"
    /// How many failed polls in a row (network, 5xx) are retried before giving up.
    public static let transientRetries = 3

    /// The issuer logged in with.
    public let issuer: TrustedIssuer
    /// The OAuth client id.
    public let clientID: String
    /// The space-separated scopes.
    public let scope: String
    private let fetcher: HTTPSFetcher
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void

    /// Makes a client.
    /// - Parameters:
    ///   - issuer: The issuer to log in with.
    ///   - clientID: The OAuth client id; `nil` is the issuer's ``TrustedIssuer/oauthClientID``.
    ///   - scope: The space-separated scopes; must include `openid`.
    ///   - fetcher: The HTTPS client.
    ///   - now: The wall clock `expires_in` is judged by.
    ///   - sleep: Waits between polls; throws when the wait is cancelled.
    public init(
        issuer: TrustedIssuer,
        clientID: String? = nil,
        scope: String = DeviceFlowClient.defaultScope,
        fetcher: HTTPSFetcher,
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.issuer = issuer
        self.clientID = clientID ?? issuer.oauthClientID
        self.scope = scope
        self.fetcher = fetcher
        self.now = now
        self.sleep = sleep
    }

    /// Runs the whole flow: ``start()``, `prompt`, then ``waitForApproval(of:)``.
    /// - Parameter prompt: Shows the user where to go and what to type.
    /// - Returns: The tokens; the ID token is always present.
    /// - Throws: `LoginError` from either step.
    public func login(prompt: (DeviceAuthorization) -> Void) async throws(LoginError) -> OAuthTokens {
        let authorization = try await self.start()
        prompt(authorization)
        return try await self.waitForApproval(of: authorization)
    }

    /// Reads the issuer's discovery document and asks its device authorization endpoint for a
    /// user code.
    /// - Returns: The codes and where the user enters them.
    /// - Throws: `LoginError`: `issuerUnreachable` (discovery or request failed),
    ///   `deviceFlowUnsupported` (no `device_authorization_endpoint`), `invalidClient`
    ///   (client unknown or not allowed the device grant), `protocolError`.
    public func start() async throws(LoginError) -> DeviceAuthorization {
        let id = self.issuer.identifier
        let document: OIDCDiscoveryDocument
        do {
            document = try await OIDCDiscoveryDocument.fetch(for: self.issuer, fetcher: self.fetcher)
        } catch {
            throw LoginError(code: .issuerUnreachable, message: error.message)
        }
        guard let deviceEndpoint = OIDCDiscoveryDocument.httpsURL(document.deviceAuthorizationEndpoint) else {
            throw LoginError(
                code: .deviceFlowUnsupported,
                message: "\(id) offers no device login (its discovery document has no https device_authorization_endpoint); hand in a token with `chaperone token set`, or ask the administrator to enable the device flow at the IdP or set `device_flow: false` for it")
        }
        guard let tokenEndpoint = OIDCDiscoveryDocument.httpsURL(document.tokenEndpoint) else {
            throw LoginError(
                code: .deviceFlowUnsupported,
                message: "\(id)'s discovery document has no https token_endpoint; check the issuer URL")
        }
        let fields = [(name: "client_id", value: self.clientID), (name: "scope", value: self.scope)]
        switch try await OAuthEndpoint.post(deviceEndpoint, fields: fields, fetcher: self.fetcher) {
        case .success(let body):
            return try DeviceAuthorization.parse(body, from: deviceEndpoint, receivedAt: self.now(), tokenEndpoint: tokenEndpoint)
        case .failure(let answer):
            throw answer.loginError("the device authorization request of client '\(self.clientID)'", issuer: id)
        }
    }

    /// Polls the token endpoint until the user approves, declines, or the code expires.
    /// - Parameter authorization: The answer of ``start()``.
    /// - Returns: The tokens; the ID token is always present.
    /// - Throws: `LoginError`: `codeExpired`, `accessDenied`, `cancelled`, `issuerUnreachable`
    ///   (after ``transientRetries`` failed polls in a row), `invalidClient`, `protocolError`
    ///   (no ID token: `openid` missing from the scopes).
    public func waitForApproval(of authorization: DeviceAuthorization) async throws(LoginError) -> OAuthTokens {
        let id = self.issuer.identifier
        let fields = [
            (name: "grant_type", value: "urn:ietf:params:oauth:grant-type:device_code"),
            (name: "device_code", value: authorization.deviceCode),
            (name: "client_id", value: self.clientID),
        ]
        var interval = authorization.interval
        var failuresInARow = 0
        while true {
            do {
                try await self.sleep(.seconds(interval))
            } catch {
                throw LoginError(code: .cancelled, message: "login cancelled; nothing was handed to the daemon")
            }
            if Task.isCancelled {
                throw LoginError(code: .cancelled, message: "login cancelled; nothing was handed to the daemon")
            }
            guard self.now() < authorization.expiresAt else {
                throw LoginError(
                    code: .codeExpired,
                    message: "the code \(authorization.userCode) expired before it was approved; run `chaperone login` again and enter the new code sooner")
            }
            let answer: Result<Data, OAuthErrorAnswer>
            do {
                answer = try await OAuthEndpoint.post(authorization.tokenEndpoint, fields: fields, fetcher: self.fetcher)
            } catch {
                failuresInARow += 1
                guard error.isTransient, failuresInARow <= Self.transientRetries else { throw error }
                // RFC 8628 §3.5: on a connection failure, poll less often.
                interval += 5
                continue
            }
            failuresInARow = 0
            switch answer {
            case .success(let body):
                let tokens = try OAuthTokens.parse(body, from: authorization.tokenEndpoint)
                guard tokens.idToken != nil else {
                    throw LoginError(
                        code: .protocolError,
                        message: "\(id) approved the login but returned no ID token; include `openid` in --scope (now '\(self.scope)')")
                }
                return tokens
            case .failure(let error) where error.error == "authorization_pending":
                continue
            case .failure(let error) where error.error == "slow_down":
                interval += 5
            case .failure(let error):
                throw error.loginError("the device login", issuer: id)
            }
        }
    }
}
