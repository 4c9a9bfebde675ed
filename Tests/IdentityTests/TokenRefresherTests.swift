import Foundation
import Logging
import Testing

@testable import Identity

/// A cache, a refresher and a log capture around one test issuer with OAuth endpoints.
struct RefreshRig {
    let issuer: TestIssuer
    let cache: TokenCache
    let refresher: TokenRefresher
    let logs: LogCapture
    let clock: ManualClock

    init(issuer: TestIssuer, refreshWindow: TimeInterval = 300) throws {
        let logs = LogCapture()
        let clock = ManualClock()
        let verifier = TokenVerifier(
            issuers: [TrustedIssuer(issuer: issuer.url, audience: "chaperone")],
            fetcher: try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(5)),
            logger: logs.logger("verifier"))
        self.issuer = issuer
        self.logs = logs
        self.clock = clock
        self.cache = TokenCache(verifier: verifier, refreshWindow: refreshWindow, now: { clock.now })
        self.refresher = TokenRefresher(
            cache: self.cache,
            issuers: [TrustedIssuer(issuer: issuer.url, audience: "chaperone")],
            fetcher: try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(5)),
            logger: logs.logger("refresher"))
    }

    /// Logs `subject` in through the device flow (approved at once) and returns the tokens.
    func login(as subject: String, lifetime: TimeInterval = 200) async throws -> OAuthTokens {
        self.issuer.oauth.withLock {
            $0.subject = subject
            $0.script = [.approve]
            $0.idTokenLifetime = lifetime
        }
        return try await makeDeviceFlowClient(self.issuer).login { _ in }
    }

    /// Logs `subject` in and hands the tokens to the cache for `uid`.
    @discardableResult
    func loginAndSet(_ subject: String, uid: UInt32, lifetime: TimeInterval = 200, keepRefreshToken: Bool = true) async throws -> (OAuthTokens, VerifiedToken) {
        let tokens = try await self.login(as: subject, lifetime: lifetime)
        let verified = try await self.cache.set(
            token: try #require(tokens.idToken), refreshToken: keepRefreshToken ? tokens.refreshToken : nil, for: uid)
        return (tokens, verified)
    }

    /// Every secret the issuer handed out.
    var secrets: [String] {
        self.issuer.oauth.withLock { $0.issuedRefreshTokens + $0.issuedIDTokens }
    }
}

@Suite("Daemon-side refresh of logged-in uids' tokens")
struct TokenRefresherTests {
    @Test("an entry in the refresh window is replaced ahead of expiry, and the rotated refresh token is kept")
    func refreshesAheadOfExpiry() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer, refreshWindow: 300)
            let (tokens, first) = try await rig.loginAndSet("alice", uid: 1001, lifetime: 200)
            #expect(await rig.cache.hasRefreshToken(for: 1001))
            // Due at half its 200 s lifetime (the 300 s window is longer).
            #expect(await rig.cache.needingRefresh().isEmpty)
            rig.clock.advance(by: 120)
            #expect(await rig.cache.needingRefresh().map(\.uid) == [1001])

            let outcomes = await rig.refresher.refreshDue()
            guard case .refreshed(let renewed)? = outcomes[1001] else {
                Issue.record("expected a refresh, got \(outcomes)")
                return
            }
            #expect(renewed.principal.subject == "alice")
            #expect(renewed.expiresAt.timeIntervalSince(first.expiresAt) > 3000)
            #expect(await rig.cache.token(for: 1001)?.expiresAt == renewed.expiresAt)
            #expect(await rig.cache.needingRefresh().isEmpty)
            #expect(await rig.cache.hasRefreshToken(for: 1001))

            // The POST carried the uid's refresh token and the issuer's client id (= audience).
            let refresh = try #require(issuer.forms(posted: "/token").last)
            #expect(refresh["grant_type"] == "refresh_token")
            #expect(refresh["refresh_token"] == tokens.refreshToken?.value)
            #expect(refresh["client_id"] == "chaperone")

            // The issuer rotated the refresh token: a second refresh must use the new one
            // (and get a later expiry, or it would look like the end of the IdP session).
            #expect(issuer.oauth.withLock { $0.issuedRefreshTokens.count } == 2)
            issuer.oauth.withLock { $0.refreshedLifetime = 7200 }
            guard case .refreshed = await rig.refresher.refresh(uid: 1001) else {
                Issue.record("the rotated refresh token was not kept")
                return
            }
            #expect(issuer.forms(posted: "/token").last?["refresh_token"] == issuer.oauth.withLock { $0.issuedRefreshTokens[1] })

            // Nothing due: the timer's pass asks the issuer nothing.
            let posts = issuer.forms(posted: "/token").count
            #expect(await rig.refresher.refreshDue().isEmpty)
            #expect(issuer.forms(posted: "/token").count == posts)

            // Later, within the window again, it is due again.
            rig.clock.advance(by: 7_000)
            #expect(await rig.cache.needingRefresh().map(\.uid) == [1001])
        }
    }

    @Test("each uid's refresh token renews that uid's entry only")
    func uidIsolation() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            let (aliceTokens, _) = try await rig.loginAndSet("alice", uid: 1001)
            let (bobTokens, _) = try await rig.loginAndSet("bob", uid: 1002)
            // carol handed in a token without a refresh token (`chaperone token set`).
            let (_, carol) = try await rig.loginAndSet("carol", uid: 1003, keepRefreshToken: false)
            rig.clock.advance(by: 120)

            let outcomes = await rig.refresher.refreshDue()
            #expect(Set(outcomes.keys) == [1001, 1002])
            #expect(await rig.cache.principal(for: 1001)?.subject == "alice")
            #expect(await rig.cache.principal(for: 1002)?.subject == "bob")
            #expect(await rig.cache.token(for: 1003) == carol)
            #expect(await rig.refresher.refresh(uid: 1003) == .notRefreshable)
            #expect(await rig.refresher.refresh(uid: 4242) == .notRefreshable)

            let presented = issuer.forms(posted: "/token").filter { $0["grant_type"] == "refresh_token" }.compactMap { $0["refresh_token"] }
            #expect(Set(presented) == [aliceTokens.refreshToken!.value, bobTokens.refreshToken!.value])

            // bob's refresh token is revoked: alice's entry is not touched by bob's failure.
            let aliceBefore = await rig.cache.token(for: 1001)
            issuer.oauth.withLock { state in
                state.validRefreshTokens = state.validRefreshTokens.filter { $0.value != "bob" }
            }
            #expect(await rig.refresher.refresh(uid: 1002) == .dropped(.invalidGrant))
            #expect(await rig.cache.token(for: 1001) == aliceBefore)
            #expect(await rig.cache.hasRefreshToken(for: 1001))
            #expect(await !rig.cache.hasRefreshToken(for: 1002))
        }
    }

    @Test("invalid_grant drops the refresh token with a notice; the token still expires on time")
    func invalidGrant() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            let (_, first) = try await rig.loginAndSet("alice", uid: 1001, lifetime: 200)
            issuer.revokeRefreshTokens()
            rig.clock.advance(by: 120)

            #expect(await rig.refresher.refreshDue() == [1001: .dropped(.invalidGrant)])
            #expect(await !rig.cache.hasRefreshToken(for: 1001))
            #expect(await rig.cache.token(for: 1001) == first)
            let notices = rig.logs.lines.filter { $0.contains("notice refresh refused") }
            #expect(notices.count == 1)
            #expect(notices.first?.contains("peer.uid=1001") == true)
            #expect(notices.first?.contains("chaperone login") == true)

            // No refresh token, no more requests; at exp the entry is gone.
            let posts = issuer.forms(posted: "/token").count
            #expect(await rig.refresher.refreshDue().isEmpty)
            #expect(issuer.forms(posted: "/token").count == posts)
            rig.clock.advance(by: 81)
            #expect(await rig.cache.token(for: 1001) == nil)
        }
    }

    @Test("an unreachable issuer keeps the refresh token for the next pass")
    func transientFailureKeepsTheRefreshToken() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            try await rig.loginAndSet("alice", uid: 1001)
            issuer.oauth.withLock { $0.refreshError = "server_error" }
            #expect(await rig.refresher.refresh(uid: 1001) == .retryLater)
            #expect(await rig.cache.hasRefreshToken(for: 1001))
            #expect(rig.logs.lines.contains { $0.contains("warning cannot refresh the token now") })

            issuer.oauth.withLock { $0.refreshError = nil }
            guard case .refreshed = await rig.refresher.refresh(uid: 1001) else {
                Issue.record("expected the next attempt to succeed")
                return
            }
        }
    }

    @Test("an unusable answer drops the refresh token: another subject, no ID token, no later expiry")
    func unusableAnswers() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)

            let (_, alice) = try await rig.loginAndSet("alice", uid: 1001)
            issuer.oauth.withLock { $0.refreshSubject = "mallory" }
            #expect(await rig.refresher.refresh(uid: 1001) == .dropped(.protocolError))
            #expect(await rig.cache.token(for: 1001) == alice)
            issuer.oauth.withLock { $0.refreshSubject = nil }

            try await rig.loginAndSet("alice", uid: 1001)
            issuer.oauth.withLock { $0.refreshReturnsIDToken = false }
            #expect(await rig.refresher.refresh(uid: 1001) == .dropped(.protocolError))
            issuer.oauth.withLock { $0.refreshReturnsIDToken = true }

            // The IdP's session ends: the refreshed token expires no later; replaced, then not asked again.
            try await rig.loginAndSet("alice", uid: 1001, lifetime: 200)
            issuer.oauth.withLock { $0.refreshedLifetime = 100 }
            #expect(await rig.refresher.refresh(uid: 1001) == .dropped(.invalidGrant))
            #expect(await !rig.cache.hasRefreshToken(for: 1001))
            #expect(await rig.cache.token(for: 1001) != nil)
        }
    }

    @Test("a refresh that finishes after the uid handed in another token does not overwrite it")
    func supersededByANewerToken() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            try await rig.loginAndSet("alice", uid: 1001)
            let job = try #require(await rig.cache.refreshJob(for: 1001))
            let (_, newer) = try await rig.loginAndSet("alice2", uid: 1001, keepRefreshToken: false)
            #expect(await !rig.cache.complete(job, with: job.token, refreshToken: job.refreshToken))
            #expect(await !rig.cache.dropRefreshToken(job))
            #expect(await rig.cache.token(for: 1001) == newer)
            // logout drops the refresh token with the token.
            try await rig.loginAndSet("alice", uid: 1001)
            #expect(await rig.cache.remove(uid: 1001))
            #expect(await !rig.cache.hasRefreshToken(for: 1001))
            #expect(await rig.refresher.refresh(uid: 1001) == .notRefreshable)
        }
    }

    @Test("no refresh token or ID token appears in any log line")
    func secretsAreNeverLogged() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            try await rig.loginAndSet("alice", uid: 1001)
            try await rig.loginAndSet("bob", uid: 1002)
            rig.clock.advance(by: 120)
            await rig.refresher.refreshDue()  // refreshed, rotated
            issuer.oauth.withLock { $0.refreshError = "server_error" }
            _ = await rig.refresher.refresh(uid: 1001)  // warning
            issuer.oauth.withLock { $0.refreshError = nil }
            issuer.revokeRefreshTokens()
            _ = await rig.refresher.refresh(uid: 1002)  // notice
            let lines = rig.logs.lines
            #expect(lines.contains { $0.contains("token refreshed") })
            #expect(lines.contains { $0.contains("warning") })
            #expect(lines.contains { $0.contains("notice") })
            for secret in rig.secrets {
                #expect(!lines.contains { $0.contains(secret) }, "a log line carries a token")
            }
        }
    }

    @Test("the service refreshes on its timer and stops on cancellation")
    func serviceLoop() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            let (_, first) = try await rig.loginAndSet("alice", uid: 1001)
            rig.clock.advance(by: 120)
            let service = TokenRefreshService(refresher: rig.refresher, interval: .milliseconds(50))
            let task = Task { try await service.run() }
            var renewed = false
            for _ in 0..<1_200 where !renewed {  // up to 30 s on a loaded machine
                try await Task.sleep(for: .milliseconds(25))
                renewed = await (rig.cache.token(for: 1001)?.expiresAt ?? first.expiresAt) > first.expiresAt
            }
            task.cancel()
            try await task.value
            #expect(renewed)
        }
    }
}
