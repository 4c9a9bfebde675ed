import Foundation
import Synchronization
import Testing

@testable import Identity

/// A clock that moves only when the client under test sleeps (not with real time, so a loaded
/// machine cannot push a poll past `expires_in`), and a record of the sleeps.
final class PollTimer: Sendable {
    private let start = Date()
    private let elapsed = Mutex<TimeInterval>(0)
    private let recorded = Mutex<[Int]>([])

    /// The waits asked for, in seconds.
    var sleeps: [Int] { self.recorded.withLock { $0 } }

    /// The start plus the waits so far.
    var now: Date { self.start.addingTimeInterval(self.elapsed.withLock { $0 }) }

    var sleep: @Sendable (Duration) async throws -> Void {
        { duration in
            self.recorded.withLock { $0.append(Int(duration.components.seconds)) }
            self.elapsed.withLock { $0 += TimeInterval(duration.components.seconds) }
        }
    }
}

/// A device flow client for `issuer`, with the test CA, a manual clock and instant sleeps.
func makeDeviceFlowClient(
    _ issuer: TestIssuer, timer: PollTimer = PollTimer(), clientID: String? = nil, scope: String = DeviceFlowClient.defaultScope
) throws -> DeviceFlowClient {
    DeviceFlowClient(
        issuer: TrustedIssuer(issuer: issuer.url, audience: "chaperone"),
        clientID: clientID,
        scope: scope,
        fetcher: try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(5)),
        now: { timer.now },
        sleep: timer.sleep)
}

@Suite("Device authorization grant (chaperone login's client)")
struct DeviceFlowClientTests {
    @Test("pending twice, slow_down once, then the tokens: the waits honour interval and slow_down")
    func pollsUntilApproved() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let timer = PollTimer()
            let client = try makeDeviceFlowClient(issuer, timer: timer)
            let prompted = Mutex<DeviceAuthorization?>(nil)
            let tokens = try await client.login { authorization in prompted.withLock { $0 = authorization } }

            let shown = try #require(prompted.withLock { $0 })
            #expect(shown.userCode == "WDJB-MJHT")
            #expect(shown.verificationURI == issuer.identifier + "/device")
            #expect(shown.verificationURIComplete == issuer.identifier + "/device?user_code=WDJB-MJHT")
            #expect(shown.interval == 5)
            #expect(!shown.description.contains(shown.deviceCode))

            // 5 s before each poll, 10 s after slow_down (RFC 8628 §3.5: +5 s).
            #expect(timer.sleeps == [5, 5, 5, 10])
            let polls = issuer.forms(posted: "/token")
            #expect(polls.count == 4)
            #expect(polls.allSatisfy { $0["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code" })
            #expect(polls.allSatisfy { $0["client_id"] == "chaperone" && $0["device_code"] == shown.deviceCode })
            let asked = try #require(issuer.forms(posted: "/device/code").first)
            #expect(asked["scope"] == "openid email profile groups offline_access")
            #expect(asked["client_id"] == "chaperone")

            // The ID token is the issuer's and verifies; the refresh token came along.
            let idToken = try #require(tokens.idToken)
            #expect(idToken == issuer.oauth.withLock { $0.issuedIDTokens.last })
            #expect(tokens.refreshToken?.value == issuer.oauth.withLock { $0.issuedRefreshTokens.last })
            let verified = try await issuer.makeVerifier().verify(idToken)
            #expect(verified.principal.subject == "alice")
            // Neither token shows in a description.
            #expect(!tokens.description.contains(idToken))
            #expect(!"\(tokens)".contains(tokens.refreshToken!.value))
            #expect("\(tokens.refreshToken!)" == "<refresh token>")
        }
    }

    @Test("the user declining ends the login with accessDenied")
    func declined() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key) { $0.script = [.pending, .deny] }
            let client = try makeDeviceFlowClient(issuer)
            await expectLoginError(.accessDenied, messageContains: ["declined", "chaperone login"]) {
                try await client.login { _ in }
            }
        }
    }

    @Test("the code expiring ends the login: expired_token, or expires_in passed while pending")
    func expires() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key) { $0.script = [.pending, .expire] }
            await expectLoginError(.codeExpired) { try await makeDeviceFlowClient(issuer).login { _ in } }
        }
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key) {
                $0.script = [.pending]
                $0.expiresIn = 12
            }
            let timer = PollTimer()
            await expectLoginError(.codeExpired, messageContains: ["WDJB-MJHT", "chaperone login"]) {
                try await makeDeviceFlowClient(issuer, timer: timer).login { _ in }
            }
            // Polls at 5 s and 10 s; at 15 s the code is past its 12 s and no poll is sent.
            #expect(timer.sleeps == [5, 5, 5])
            #expect(issuer.forms(posted: "/token").count == 2)
        }
    }

    @Test("Ctrl-C (a cancelled wait) ends the login with cancelled")
    func cancelled() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key) { $0.script = [.pending] }
            let client = DeviceFlowClient(
                issuer: TrustedIssuer(issuer: issuer.url, audience: "chaperone"),
                fetcher: try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(5)),
                sleep: { _ in throw CancellationError() })
            await expectLoginError(.cancelled, messageContains: ["nothing was handed"]) { try await client.login { _ in } }
        }
    }

    @Test("an issuer without a device endpoint, or a client it does not know, is reported with what to do")
    func unsupported() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key) { $0.offersDeviceFlow = false }
            await expectLoginError(.deviceFlowUnsupported, messageContains: ["device_authorization_endpoint", "chaperone token set"]) {
                try await makeDeviceFlowClient(issuer).start()
            }
            issuer.enableOAuth(signer: key) { $0.offersDeviceFlow = true }
            await expectLoginError(.invalidClient, messageContains: ["invalid_client", "'someone-else'", "--client-id"]) {
                try await makeDeviceFlowClient(issuer, clientID: "someone-else").start()
            }
        }
        await expectLoginError(.issuerUnreachable) {
            try await DeviceFlowClient(
                issuer: TrustedIssuer(issuer: URL(string: "https://127.0.0.1:1")!, audience: "chaperone"),
                fetcher: try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(2))
            ).start()
        }
    }

    @Test("form bodies are percent-encoded so every value reads back exactly")
    func formEncoding() {
        let fields = [
            (name: "scope", value: "openid email"), (name: "x", value: "a+b&c=d/é~._-"), (name: "grant_type", value: "urn:ietf:params:oauth:grant-type:device_code"),
        ]
        let encoded = HTTPSFetcher.formEncoded(fields)
        #expect(encoded.hasPrefix("scope=openid%20email&x=a%2Bb%26c%3Dd%2F%C3%A9~._-&"))
        let decoded = TestIssuer.decodeForm(Data(encoded.utf8))
        #expect(decoded == Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.value) }))
    }
}

/// Expects `body` to throw a `LoginError` with `code` and a message containing each of `fragments`.
func expectLoginError(
    _ code: LoginError.Code,
    messageContains fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> some Any
) async {
    do {
        _ = try await body()
        Issue.record("expected LoginError.\(code), got success", sourceLocation: sourceLocation)
    } catch let error as LoginError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message '\(error.message)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected LoginError.\(code), got \(error)", sourceLocation: sourceLocation)
    }
}
