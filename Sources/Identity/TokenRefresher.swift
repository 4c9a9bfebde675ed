import Foundation
public import Logging

/// Renews uids' tokens with the refresh tokens they handed in at `chaperone login`, ahead of
/// expiry, so a logged-in user's connections keep their identity for the length of the IdP
/// session instead of the life of one ID token.
///
/// For a uid the ``TokenCache`` reports as expiring soon, the refresher POSTs
/// `grant_type=refresh_token` to the token endpoint of the token's issuer (client id: the
/// issuer's ``TrustedIssuer/oauthClientID``), verifies the new ID token exactly as a handed-in
/// one, checks it names the same subject, and replaces the uid's entry, keeping the rotated
/// refresh token when the issuer sends one. The refresh token of a uid renews that uid's entry
/// and no other's. When the issuer refuses (`invalid_grant`: revoked, expired, reused) the
/// refresh token is dropped and a notice logged; the cached token still expires on time and the
/// user must log in again. Network trouble keeps the refresh token for the next attempt. No
/// token is ever logged.
public actor TokenRefresher {
    /// What one refresh did.
    public enum Outcome: Sendable, Hashable {
        /// The uid's entry now holds this newer token.
        case refreshed(VerifiedToken)
        /// The uid has no valid entry, or no refresh token for it.
        case notRefreshable
        /// Another refresh of the uid was running, or the uid handed in another token or
        /// logged out while this one ran; nothing was changed.
        case superseded
        /// The refresh token was refused or the answer was unusable: it was dropped, and the
        /// cached token expires on time.
        case dropped(LoginError.Code)
        /// The issuer could not be reached; the refresh token is kept for the next attempt.
        case retryLater
    }

    private let cache: TokenCache
    private let issuers: [String: TrustedIssuer]
    private let fetcher: HTTPSFetcher
    private let logger: Logger
    private let discoveryMaxAge: Duration
    private let clock = ContinuousClock()
    private var tokenEndpoints: [String: (url: URL, fetchedAt: ContinuousClock.Instant)] = [:]
    private var inFlight: Set<UInt32> = []

    /// Makes a refresher.
    /// - Parameters:
    ///   - cache: The entries to renew; its verifier checks the renewed tokens.
    ///   - issuers: The trusted issuers, for their token endpoints and client ids.
    ///   - fetcher: The HTTPS client.
    ///   - logger: The caller's logger; outcomes are logged with uid and subject, never a token.
    ///   - discoveryMaxAge: How long an issuer's token endpoint is used before discovery is read again.
    public init(
        cache: TokenCache,
        issuers: [TrustedIssuer],
        fetcher: HTTPSFetcher,
        logger: Logger,
        discoveryMaxAge: Duration = .seconds(3600)
    ) {
        var byIdentifier: [String: TrustedIssuer] = [:]
        for issuer in issuers { byIdentifier[issuer.identifier] = issuer }
        self.cache = cache
        self.issuers = byIdentifier
        self.fetcher = fetcher
        self.logger = logger
        self.discoveryMaxAge = discoveryMaxAge
    }

    /// Refreshes every entry within the cache's refresh window that has a refresh token.
    /// - Returns: What happened, by uid.
    @discardableResult
    public func refreshDue() async -> [UInt32: Outcome] {
        var outcomes: [UInt32: Outcome] = [:]
        for expiring in await self.cache.needingRefresh() where expiring.hasRefreshToken {
            outcomes[expiring.uid] = await self.refresh(uid: expiring.uid)
        }
        return outcomes
    }

    /// Refreshes `uid`'s entry now, however far its expiry is.
    /// - Parameter uid: The uid whose own refresh token renews its own entry.
    /// - Returns: What happened.
    public func refresh(uid: UInt32) async -> Outcome {
        guard let job = await self.cache.refreshJob(for: uid) else { return .notRefreshable }
        guard self.inFlight.insert(uid).inserted else { return .superseded }
        defer { self.inFlight.remove(uid) }
        var logger = self.logger
        logger[metadataKey: "peer.uid"] = "\(uid)"
        logger[metadataKey: "subject"] = "\(job.token.principal.subject)"
        logger[metadataKey: "issuer"] = "\(job.token.principal.issuer)"
        do {
            let (token, refreshToken) = try await self.exchange(job)
            guard await self.cache.complete(job, with: token, refreshToken: refreshToken ?? job.refreshToken) else {
                logger.debug("token changed during its refresh; the refreshed one is discarded")
                return .superseded
            }
            if token.expiresAt <= job.token.expiresAt {
                // The IdP's session ends with this token (Keycloak's SSO Session Max, for
                // example): asking again would only repeat the answer.
                await self.cache.dropRefreshToken(TokenCache.RefreshJob(uid: uid, token: token, refreshToken: refreshToken ?? job.refreshToken))
                logger.notice(
                    "the issuer did not extend the token (its session ends); the user must run `chaperone login` again before it expires",
                    metadata: ["expires_at": "\(TokenVerifier.format(token.expiresAt))"])
                return .dropped(.invalidGrant)
            }
            logger.info(
                "token refreshed",
                metadata: [
                    "expires_at": "\(TokenVerifier.format(token.expiresAt))",
                    "rotated": "\(refreshToken != nil && refreshToken != job.refreshToken)",
                ])
            return .refreshed(token)
        } catch {
            let reason = Self.scrub(error.message, job: job)
            if error.isTransient {
                logger.warning("cannot refresh the token now; trying again later", metadata: ["code": "\(error.code)", "reason": "\(reason)"])
                return .retryLater
            }
            await self.cache.dropRefreshToken(job)
            logger.notice(
                "refresh refused, refresh token dropped; the user must run `chaperone login` again (the current token expires on time)",
                metadata: [
                    "code": "\(error.code)", "reason": "\(reason)",
                    "expires_at": "\(TokenVerifier.format(job.token.expiresAt))",
                ])
            return .dropped(error.code)
        }
    }

    /// Redeems `job`'s refresh token and verifies the ID token that comes back.
    /// - Returns: The verified token, and the rotated refresh token when the issuer sent one.
    private func exchange(_ job: TokenCache.RefreshJob) async throws(LoginError) -> (VerifiedToken, RefreshToken?) {
        let subject = job.token.principal.subject
        guard let issuer = self.issuers[job.token.principal.issuer] else {
            throw LoginError(
                code: .notConfigured,
                message: "issuer '\(job.token.principal.issuer)' is no longer in `identity.issuers`")
        }
        let endpoint = try await self.tokenEndpoint(of: issuer)
        let fields = [
            (name: "grant_type", value: "refresh_token"),
            (name: "refresh_token", value: job.refreshToken.value),
            (name: "client_id", value: issuer.oauthClientID),
        ]
        let answer: Result<Data, OAuthErrorAnswer>
        do {
            answer = try await OAuthEndpoint.post(endpoint, fields: fields, fetcher: self.fetcher)
        } catch {
            // The endpoint may have moved: read discovery again next time.
            self.tokenEndpoints[issuer.identifier] = nil
            throw error
        }
        switch answer {
        case .failure(let error):
            throw error.loginError("the refresh of \(subject)'s token", issuer: issuer.identifier)
        case .success(let body):
            let tokens = try OAuthTokens.parse(body, from: endpoint)
            guard let idToken = tokens.idToken else {
                throw LoginError(
                    code: .protocolError,
                    message: "\(issuer.identifier) answered the refresh without an ID token; the login must ask for the `openid` scope")
            }
            let verified: VerifiedToken
            do {
                verified = try await self.cache.verifier.verify(idToken)
            } catch where error.code == .discoveryFailed {
                throw LoginError(code: .issuerUnreachable, message: error.message)
            } catch {
                throw LoginError(code: .protocolError, message: "the refreshed ID token is refused: \(error.message)")
            }
            // OIDC Core §12.2: a refreshed ID token names the same issuer and subject.
            guard verified.principal.issuer == job.token.principal.issuer, verified.principal.subject == subject else {
                throw LoginError(
                    code: .protocolError,
                    message: "the refreshed ID token names subject '\(verified.principal.subject)', not '\(subject)'")
            }
            return (verified, tokens.refreshToken)
        }
    }

    /// The issuer's token endpoint, from its discovery document (cached ``discoveryMaxAge``).
    private func tokenEndpoint(of issuer: TrustedIssuer) async throws(LoginError) -> URL {
        if let cached = self.tokenEndpoints[issuer.identifier], cached.fetchedAt.duration(to: self.clock.now) < self.discoveryMaxAge {
            return cached.url
        }
        let document: OIDCDiscoveryDocument
        do {
            document = try await OIDCDiscoveryDocument.fetch(for: issuer, fetcher: self.fetcher)
        } catch {
            throw LoginError(code: .issuerUnreachable, message: error.message)
        }
        guard let url = OIDCDiscoveryDocument.httpsURL(document.tokenEndpoint) else {
            throw LoginError(code: .deviceFlowUnsupported, message: "\(issuer.identifier)'s discovery document has no https token_endpoint")
        }
        self.tokenEndpoints[issuer.identifier] = (url, self.clock.now)
        return url
    }

    /// `text` with the job's refresh token blanked, should an issuer ever echo it.
    private static func scrub(_ text: String, job: TokenCache.RefreshJob) -> String {
        text.replacingOccurrences(of: job.refreshToken.value, with: "<refresh token>")
    }
}
