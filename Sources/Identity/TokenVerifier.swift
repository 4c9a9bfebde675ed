public import Foundation
public import Logging

/// Verifies OIDC ID tokens (signed JWTs) from a fixed set of trusted issuers.
///
/// Each issuer's signing keys come from its discovery document
/// (`ISSUER/.well-known/openid-configuration` → `jwks_uri`) and are cached. A token whose
/// `kid` is not in the cached set triggers one refetch (key rotation), at most once per
/// ``minimumRefetchInterval`` per issuer, so a flood of made-up `kid`s cannot make the daemon
/// hammer the IdP. Only RS256 and ES256 are accepted; `none` and `HS*` are refused before any
/// key is looked at. `iss` must equal a trusted issuer exactly, `aud` must name its audience,
/// and `exp`, `nbf` and `iat` are checked with the issuer's clock skew.
public actor TokenVerifier {
    private struct CachedKeySet {
        var keySet: JSONWebKeySet
        var fetchedAt: ContinuousClock.Instant
    }

    private let issuers: [String: TrustedIssuer]
    private let fetcher: HTTPSFetcher
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let clock = ContinuousClock()
    /// The least time between two fetches of one issuer's keys.
    public let minimumRefetchInterval: Duration
    /// Keys older than this are refetched before use, rotation or not.
    public let keySetMaxAge: Duration

    private var keySets: [String: CachedKeySet] = [:]
    private var lastFetchStarted: [String: ContinuousClock.Instant] = [:]
    private var inFlight: [String: Task<JSONWebKeySet, any Error>] = [:]
    /// The last failed fetch per issuer: repeated within ``minimumRefetchInterval`` instead of
    /// fetching again, so tokens naming an unreachable issuer cannot make the daemon hammer it.
    private var lastFailure: [String: (at: ContinuousClock.Instant, error: TokenError)] = [:]

    /// Makes a verifier.
    /// - Parameters:
    ///   - issuers: The trusted issuers; a token from any other is refused.
    ///   - fetcher: The HTTPS client for discovery and JWKS.
    ///   - logger: The caller's logger; key fetches and skipped keys are logged, tokens never.
    ///   - minimumRefetchInterval: The least time between two key fetches of one issuer.
    ///   - keySetMaxAge: How long fetched keys are used before being fetched again.
    ///   - now: The wall clock the time claims are checked against.
    public init(
        issuers: [TrustedIssuer],
        fetcher: HTTPSFetcher,
        logger: Logger,
        minimumRefetchInterval: Duration = .seconds(30),
        keySetMaxAge: Duration = .seconds(3600),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var byIdentifier: [String: TrustedIssuer] = [:]
        for issuer in issuers {
            byIdentifier[issuer.identifier] = issuer
        }
        self.issuers = byIdentifier
        self.fetcher = fetcher
        self.logger = logger
        self.minimumRefetchInterval = minimumRefetchInterval
        self.keySetMaxAge = keySetMaxAge
        self.now = now
    }

    /// Verifies a token and returns its principal.
    /// - Parameter token: A compact JWS (`header.payload.signature`).
    /// - Throws: `TokenError` with the code of the first check that failed, in this order:
    ///   `malformed`, `unsupportedAlgorithm`, `unknownIssuer`, `discoveryFailed`,
    ///   `badSignature`, `malformed` (claim types), `expired`, `notYetValid`, `wrongAudience`.
    public func verify(_ token: String) async throws(TokenError) -> VerifiedToken {
        let jws = try CompactJWS(parsing: token)
        let algorithm = try Self.algorithm(named: jws.algorithm)
        guard let iss = jws.claims["iss"]?.string else {
            throw TokenError(code: .malformed, message: "token has no string `iss` claim; pass an OIDC ID token")
        }
        guard let issuer = self.issuers[iss] else {
            let trusted = self.issuers.keys.sorted().joined(separator: ", ")
            throw TokenError(
                code: .unknownIssuer,
                message: "token issuer '\(iss)' is not trusted (trusted: \(trusted.isEmpty ? "none" : trusted)); log in with a configured issuer, or ask the administrator to add it to `identity.issuers`"
            )
        }
        let key = try await self.key(for: jws, algorithm: algorithm, issuer: issuer)
        guard key.isValidSignature(jws.signature, for: jws.signingInput, algorithm: algorithm) else {
            throw TokenError(
                code: .badSignature,
                message: "token signature does not verify with \(iss)'s key \(jws.keyID.map { "'\($0)'" } ?? "(no kid)"); the token was altered or not issued by \(iss): run `chaperone login` again"
            )
        }
        return try self.checkClaims(jws.claims, issuer: issuer, keyID: key.keyID)
    }

    /// The accepted algorithm named `name`.
    private static func algorithm(named name: String) throws(TokenError) -> SignatureAlgorithm {
        if let algorithm = SignatureAlgorithm(rawValue: name) {
            return algorithm
        }
        if name.lowercased() == "none" {
            throw TokenError(
                code: .unsupportedAlgorithm,
                message: "token is unsigned (alg 'none') and is refused; pass the signed ID token the IdP issued"
            )
        }
        if name.uppercased().hasPrefix("HS") {
            throw TokenError(
                code: .unsupportedAlgorithm,
                message: "token is signed with a shared secret (alg '\(name)'), which an issuer's public keys cannot verify; only RS256 and ES256 are accepted, pass an ID token signed by the IdP"
            )
        }
        throw TokenError(
            code: .unsupportedAlgorithm,
            message: "token algorithm '\(name)' is not supported (only RS256 and ES256); configure the IdP to sign ID tokens with RS256 or ES256"
        )
    }

    /// The issuer's key that may check `jws`, fetching the keys when none is cached, when they
    /// are stale, or (rate-limited) when the token's `kid` is not among them.
    private func key(for jws: CompactJWS, algorithm: SignatureAlgorithm, issuer: TrustedIssuer) async throws(TokenError) -> JSONWebKey {
        let id = issuer.identifier
        var keySet: JSONWebKeySet
        var fetchedNow = false
        if let cached = self.keySets[id], cached.fetchedAt.duration(to: self.clock.now) < self.keySetMaxAge {
            keySet = cached.keySet
        } else {
            keySet = try await self.fetchKeys(of: issuer)
            fetchedNow = true
        }
        if let key = Self.match(jws, algorithm: algorithm, in: keySet) {
            return key
        }
        if !fetchedNow, self.mayRefetch(id) {
            self.logger.info(
                "unknown key id, refetching JWKS",
                metadata: ["issuer": "\(id)", "kid": "\(jws.keyID ?? "-")"]
            )
            keySet = try await self.fetchKeys(of: issuer)
            if let key = Self.match(jws, algorithm: algorithm, in: keySet) {
                return key
            }
        }
        let kid = jws.keyID.map { "'\($0)'" } ?? "(none)"
        throw TokenError(
            code: .badSignature,
            message: "no \(algorithm.rawValue) key with kid \(kid) in \(id)'s JWKS; the token was not issued by \(id) or its key was retired: run `chaperone login` again"
        )
    }

    private static func match(_ jws: CompactJWS, algorithm: SignatureAlgorithm, in keySet: JSONWebKeySet) -> JSONWebKey? {
        keySet.keys.first { key in
            (jws.keyID == nil || key.keyID == jws.keyID) && key.accepts(algorithm)
        }
    }

    private func mayRefetch(_ id: String) -> Bool {
        if self.inFlight[id] != nil { return true }
        guard let last = self.lastFetchStarted[id] else { return true }
        return last.duration(to: self.clock.now) >= self.minimumRefetchInterval
    }

    /// Fetches discovery then JWKS, sharing one fetch among concurrent callers.
    private func fetchKeys(of issuer: TrustedIssuer) async throws(TokenError) -> JSONWebKeySet {
        let id = issuer.identifier
        let task: Task<JSONWebKeySet, any Error>
        if let running = self.inFlight[id] {
            task = running
        } else if let failure = self.lastFailure[id], failure.at.duration(to: self.clock.now) < self.minimumRefetchInterval {
            throw failure.error
        } else {
            self.lastFetchStarted[id] = self.clock.now
            let fetcher = self.fetcher
            let logger = self.logger
            task = Task { try await Self.download(issuer: issuer, fetcher: fetcher, logger: logger) }
            self.inFlight[id] = task
        }
        let result = await task.result
        if self.inFlight[id] == task { self.inFlight[id] = nil }
        switch result {
        case .success(let keySet):
            self.lastFailure[id] = nil
            self.keySets[id] = CachedKeySet(keySet: keySet, fetchedAt: self.clock.now)
            return keySet
        case .failure(let error):
            let tokenError =
                error as? TokenError ?? TokenError(code: .discoveryFailed, message: "cannot fetch \(id)'s keys: \(error)")
            self.lastFailure[id] = (self.clock.now, tokenError)
            throw tokenError
        }
    }

    private static func download(issuer: TrustedIssuer, fetcher: HTTPSFetcher, logger: Logger) async throws(TokenError) -> JSONWebKeySet {
        let id = issuer.identifier
        let document = try await OIDCDiscoveryDocument.fetch(for: issuer, fetcher: fetcher)
        guard let jwksURL = OIDCDiscoveryDocument.httpsURL(document.jwksURI) else {
            throw TokenError(
                code: .discoveryFailed,
                message: "\(id)'s discovery document has jwks_uri '\(document.jwksURI)', which is not an https URL")
        }
        let keySet = try JSONWebKeySet(parsing: try await fetcher.get(jwksURL), from: jwksURL)
        logger.info(
            "fetched JWKS",
            metadata: [
                "issuer": "\(id)", "keys": "\(keySet.keys.map { $0.keyID ?? "-" })",
                "skipped": "\(keySet.skipped)",
            ]
        )
        return keySet
    }

    /// Checks the registered claims of a token whose signature verified.
    private func checkClaims(_ claims: [String: JSONValue], issuer: TrustedIssuer, keyID: String?) throws(TokenError) -> VerifiedToken {
        let now = self.now()
        let skew = TimeInterval(issuer.clockSkew)
        guard let subject = claims["sub"]?.string, !subject.isEmpty else {
            throw TokenError(code: .malformed, message: "token has no string `sub` claim; pass an OIDC ID token")
        }
        let exp = try Self.time("exp", in: claims)
        let nbf = try Self.time("nbf", in: claims)
        let iat = try Self.time("iat", in: claims)
        guard let exp else {
            throw TokenError(code: .malformed, message: "token has no `exp` claim; tokens that never expire are refused")
        }
        guard now.timeIntervalSince(exp) <= skew else {
            throw TokenError(code: .expired, message: "token expired at \(Self.format(exp)); run `chaperone login` again")
        }
        if let nbf, nbf.timeIntervalSince(now) > skew {
            throw TokenError(
                code: .notYetValid,
                message: "token is not valid before \(Self.format(nbf)) (now \(Self.format(now))); check this host's clock (timedatectl) or wait"
            )
        }
        if let iat, iat.timeIntervalSince(now) > skew {
            throw TokenError(
                code: .notYetValid,
                message: "token was issued in the future (\(Self.format(iat)), now \(Self.format(now))); check this host's clock (timedatectl)"
            )
        }
        guard let audiences = claims["aud"]?.strings else {
            throw TokenError(
                code: .wrongAudience,
                message: "token has no `aud` claim; request a token for audience '\(issuer.audience)'"
            )
        }
        guard audiences.contains(issuer.audience) else {
            throw TokenError(
                code: .wrongAudience,
                message: "token is for audience \(audiences), not '\(issuer.audience)'; request a token for audience '\(issuer.audience)' (GitHub Actions: `core.getIDToken('\(issuer.audience)')`)"
            )
        }
        return VerifiedToken(
            principal: .make(claims: claims, groupsClaim: issuer.groupsClaim),
            expiresAt: exp,
            issuedAt: iat,
            keyID: keyID
        )
    }

    private static func time(_ name: String, in claims: [String: JSONValue]) throws(TokenError) -> Date? {
        guard let value = claims[name] else { return nil }
        guard let seconds = value.number, seconds.isFinite else {
            throw TokenError(code: .malformed, message: "token claim `\(name)` is not a number of seconds since 1970")
        }
        return Date(timeIntervalSince1970: seconds)
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
