import Crypto
import Foundation
import Testing
@testable import Identity

@Suite("TokenVerifier against a real HTTPS test issuer")
struct TokenVerifierTests {
    @Test func acceptsRS256() async throws {
        let key = try TestSigner.rsa(kid: "rsa-1")
        try await withTestIssuer(keys: [key]) { issuer in
            let verified = try await issuer.makeVerifier().verify(try key.sign(issuer.claims()))
            #expect(verified.principal.subject == "alice")
            #expect(verified.principal.email == "alice@example.com")
            #expect(verified.principal.name == "Alice")
            #expect(verified.principal.groups == ["dev", "ml"])
            #expect(verified.principal.issuer == issuer.identifier)
            #expect(verified.principal.source == .oidc)
            #expect(verified.keyID == "rsa-1")
            #expect(issuer.discoveryFetches == 1)
            #expect(issuer.jwksFetches == 1)
        }
    }

    @Test func acceptsES256AndCachesKeys() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            let verifier = try issuer.makeVerifier()
            let first = try await verifier.verify(try key.sign(issuer.claims(subject: "alice")))
            let second = try await verifier.verify(try key.sign(issuer.claims(subject: "bob")))
            #expect(first.principal.subject == "alice")
            #expect(second.principal.subject == "bob")
            #expect(issuer.jwksFetches == 1)
        }
    }

    @Test func acceptsAudienceArrayContainingOurs() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            let token = try key.sign(issuer.claims(audience: ["other", "chaperone"]))
            #expect(try await issuer.makeVerifier().verify(token).principal.subject == "alice")
        }
    }

    @Test func refetchesKeysOnUnknownKidAfterRotation() async throws {
        let old = try TestSigner.rsa(kid: "2024")
        let new = TestSigner.p256(kid: "2025")
        try await withTestIssuer(keys: [old]) { issuer in
            let verifier = try issuer.makeVerifier(minimumRefetchInterval: .zero)
            _ = try await verifier.verify(try old.sign(issuer.claims()))
            issuer.setKeys([new])
            let verified = try await verifier.verify(try new.sign(issuer.claims(subject: "bob")))
            #expect(verified.principal.subject == "bob")
            #expect(verified.keyID == "2025")
            #expect(issuer.jwksFetches == 2)
        }
    }

    @Test func rateLimitsRefetchOnUnknownKid() async throws {
        let key = try TestSigner.rsa(kid: "k1")
        try await withTestIssuer(keys: [key]) { issuer in
            let verifier = try issuer.makeVerifier(minimumRefetchInterval: .seconds(3600))
            _ = try await verifier.verify(try key.sign(issuer.claims()))
            // An attacker's stream of made-up kids: none may make the daemon fetch again.
            for index in 0..<5 {
                let stranger = TestSigner.p256(kid: "made-up-\(index)")
                await expectTokenError(.badSignature, messageContains: ["made-up-\(index)", "chaperone login"]) {
                    try await verifier.verify(try stranger.sign(issuer.claims()))
                }
            }
            #expect(issuer.jwksFetches == 1)
        }
    }

    @Test func refusesExpiredToken() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            var claims = issuer.claims()
            let now = Date().timeIntervalSince1970.rounded(.down)
            claims["iat"] = now - 3600
            claims["nbf"] = now - 3600
            claims["exp"] = now - 120
            await expectTokenError(.expired, messageContains: ["expired at", "run `chaperone login` again"]) {
                try await issuer.makeVerifier().verify(try key.sign(claims))
            }
        }
    }

    @Test func acceptsExpiryWithinClockSkew() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            // Discovery and keys first: on a loaded machine the HTTPS fetches can take longer
            // than the margin left inside the skew, and the token's age must be what is tested.
            let verifier = try issuer.makeVerifier()
            _ = try await verifier.verify(try key.sign(issuer.claims()))
            var claims = issuer.claims()
            claims["exp"] = Date().timeIntervalSince1970.rounded(.down) - 20
            let verified = try await verifier.verify(try key.sign(claims))
            #expect(verified.principal.subject == "alice")
        }
    }

    @Test func refusesNotYetValidToken() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            var claims = issuer.claims(lifetime: 3600)
            claims["nbf"] = Date().timeIntervalSince1970.rounded(.down) + 600
            await expectTokenError(.notYetValid, messageContains: ["not valid before", "clock"]) {
                try await issuer.makeVerifier().verify(try key.sign(claims))
            }
            var future = issuer.claims(lifetime: 3600)
            future["iat"] = Date().timeIntervalSince1970.rounded(.down) + 600
            await expectTokenError(.notYetValid, messageContains: ["issued in the future"]) {
                try await issuer.makeVerifier().verify(try key.sign(future))
            }
        }
    }

    @Test func refusesWrongAudience() async throws {
        let key = try TestSigner.rsa(kid: "rsa-1")
        try await withTestIssuer(keys: [key]) { issuer in
            await expectTokenError(.wrongAudience, messageContains: ["other-app", "'chaperone'"]) {
                try await issuer.makeVerifier().verify(try key.sign(issuer.claims(audience: ["other-app"])))
            }
            var noAudience = issuer.claims()
            noAudience["aud"] = nil
            await expectTokenError(.wrongAudience) {
                try await issuer.makeVerifier().verify(try key.sign(noAudience))
            }
        }
    }

    @Test func refusesUnknownIssuerWithoutFetching() async throws {
        let key = try TestSigner.rsa(kid: "rsa-1")
        try await withTestIssuer(keys: [key]) { issuer in
            var claims = issuer.claims()
            claims["iss"] = "https://evil.example"
            await expectTokenError(.unknownIssuer, messageContains: ["https://evil.example", issuer.identifier]) {
                try await issuer.makeVerifier().verify(try key.sign(claims))
            }
            // Exact match: a trailing slash is another issuer.
            claims["iss"] = issuer.identifier + "/"
            await expectTokenError(.unknownIssuer) {
                try await issuer.makeVerifier().verify(try key.sign(claims))
            }
            #expect(issuer.discoveryFetches == 0)
        }
    }

    @Test func refusesForgedSignatureWithSameKid() async throws {
        let real = try TestSigner.rsa(kid: "k1")
        let forger = try TestSigner.rsa(kid: "k1")
        let realEC = TestSigner.p256(kid: "e1")
        let forgerEC = TestSigner.p256(kid: "e1")
        try await withTestIssuer(keys: [real, realEC]) { issuer in
            let verifier = try issuer.makeVerifier()
            await expectTokenError(.badSignature, messageContains: ["does not verify", "'k1'"]) {
                try await verifier.verify(try forger.sign(issuer.claims()))
            }
            await expectTokenError(.badSignature, messageContains: ["'e1'"]) {
                try await verifier.verify(try forgerEC.sign(issuer.claims()))
            }
            // A real token whose payload was edited after signing.
            let token = try real.sign(issuer.claims(subject: "alice"))
            let parts = token.split(separator: ".").map(String.init)
            let edited = try signingInput(header: ["alg": "RS256", "kid": "k1"], claims: issuer.claims(subject: "root"))
                .split(separator: ".")[1]
            await expectTokenError(.badSignature) {
                try await verifier.verify("\(parts[0]).\(edited).\(parts[2])")
            }
        }
    }

    @Test func refusesAlgNone() async throws {
        let key = try TestSigner.rsa(kid: "k1")
        try await withTestIssuer(keys: [key]) { issuer in
            for alg in ["none", "None", "NONE"] {
                let token = try signingInput(header: ["alg": alg, "kid": "k1"], claims: issuer.claims()) + "."
                await expectTokenError(.unsupportedAlgorithm, messageContains: ["unsigned"]) {
                    try await issuer.makeVerifier().verify(token)
                }
            }
        }
    }

    @Test func refusesHS256SignedWithThePublicKey() async throws {
        let key = try TestSigner.rsa(kid: "k1")
        try await withTestIssuer(keys: [key]) { issuer in
            // The classic confusion: HMAC keyed with the issuer's public key, which anyone has.
            for secret in [key.publicKeyPEM, key.jwk["n"]!] {
                let input = try signingInput(header: ["alg": "HS256", "kid": "k1", "typ": "JWT"], claims: issuer.claims())
                let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
                await expectTokenError(.unsupportedAlgorithm, messageContains: ["HS256", "RS256 and ES256"]) {
                    try await issuer.makeVerifier().verify(input + "." + base64url(Data(mac)))
                }
            }
            #expect(issuer.jwksFetches == 0)
        }
    }

    @Test func refusesAlgorithmNotMatchingTheKeyType() async throws {
        let rsa = try TestSigner.rsa(kid: "shared")
        let ec = TestSigner.p256(kid: "shared")
        try await withTestIssuer(keys: [rsa]) { issuer in
            // ES256 header naming an RSA key: the key is never used outside its type.
            await expectTokenError(.badSignature) {
                try await issuer.makeVerifier().verify(try ec.sign(issuer.claims()))
            }
        }
    }

    @Test func refusesMalformedTokens() async throws {
        let key = try TestSigner.rsa(kid: "k1")
        try await withTestIssuer(keys: [key]) { issuer in
            let verifier = try issuer.makeVerifier()
            for token in ["", "abc", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.", String(repeating: "A", count: 20_000)] {
                await expectTokenError(.malformed) { try await verifier.verify(token) }
            }
            var noExpiry = issuer.claims()
            noExpiry["exp"] = nil
            await expectTokenError(.malformed, messageContains: ["exp"]) { try await verifier.verify(try key.sign(noExpiry)) }
            var textExpiry = issuer.claims()
            textExpiry["exp"] = "tomorrow"
            await expectTokenError(.malformed) { try await verifier.verify(try key.sign(textExpiry)) }
            await expectTokenError(.unsupportedAlgorithm, messageContains: ["crit"]) {
                try await verifier.verify(try key.sign(issuer.claims(), header: ["crit": ["exp"]]))
            }
        }
    }

    @Test func reportsDiscoveryFailures() async throws {
        let key = try TestSigner.rsa(kid: "k1")
        try await withTestIssuer(keys: [key]) { issuer in
            // The issuer's certificate does not chain to the system store.
            let untrusting = TokenVerifier(
                issuers: [TrustedIssuer(issuer: issuer.url, audience: "chaperone")],
                fetcher: try HTTPSFetcher(trust: .system, timeout: .seconds(5)),
                logger: .init(label: "test")
            )
            await expectTokenError(.discoveryFailed, messageContains: [issuer.identifier]) {
                try await untrusting.verify(try key.sign(issuer.claims()))
            }
        }
        // Nothing listens any more.
        let gone = try await TestIssuer.start(keys: [key])
        await gone.stop()
        let verifier = try gone.makeVerifier()
        await expectTokenError(.discoveryFailed, messageContains: ["cannot fetch"]) {
            try await verifier.verify(try key.sign(gone.claims()))
        }
        // Within the refetch interval the failure is repeated, not retried: no second fetch.
        let started = ContinuousClock.now
        await expectTokenError(.discoveryFailed, messageContains: ["cannot fetch"]) {
            try await verifier.verify(try key.sign(gone.claims()))
        }
        #expect(started.duration(to: .now) < .seconds(1))
        #expect(gone.discoveryFetches == 0)
    }

    @Test func mapsGitHubActionsClaims() async throws {
        // A GitHub Enterprise Server issuer (`https://HOST/_services/token`) takes the real path.
        let key = try TestSigner.rsa(kid: "gh")
        try await withTestIssuer(pathPrefix: "/_services/token", keys: [key]) { issuer in
            var claims = issuer.claims(subject: "repo:acme/web:ref:refs/heads/main")
            claims["repository"] = "acme/web"
            claims["workflow"] = "CI"
            claims["ref"] = "refs/heads/main"
            claims["actor"] = "octocat"
            claims["run_id"] = "9876543210"
            claims["event_name"] = "push"
            let principal = try await issuer.makeVerifier().verify(try key.sign(claims)).principal
            #expect(principal.source == .githubActions)
            #expect(principal.subject == "repo:acme/web:ref:refs/heads/main")
            #expect(principal.attributes["repository"] == "acme/web")
            #expect(principal.attributes["workflow"] == "CI")
            #expect(principal.attributes["ref"] == "refs/heads/main")
            #expect(principal.attributes["actor"] == "octocat")
            #expect(principal.attributes["run_id"] == "9876543210")
        }
        // github.com's issuer, on the claims as verified.
        let principal = Principal.make(
            claims: [
                "iss": .string(TrustedIssuer.githubActionsIssuer), "sub": .string("repo:acme/api:environment:prod"),
                "repository": .string("acme/api"), "workflow": .string("Deploy"), "ref": .string("refs/tags/v1"),
                "actor": .string("hubot"), "run_id": .number(42), "aud": .string("chaperone"),
            ],
            groupsClaim: "groups"
        )
        #expect(principal.source == .githubActions)
        #expect(principal.attributes == ["repository": "acme/api", "workflow": "Deploy", "ref": "refs/tags/v1", "actor": "hubot", "run_id": "42"])
    }

    @Test func mapsGitLabCIClaims() async throws {
        let key = TestSigner.p256(kid: "gl")
        try await withTestIssuer(keys: [key]) { issuer in
            var claims = issuer.claims(subject: "project_path:acme/web:ref_type:branch:ref:main")
            claims["project_path"] = "acme/web"
            claims["pipeline_id"] = "1234"
            claims["ref"] = "main"
            claims["user_login"] = "jdoe"
            let principal = try await issuer.makeVerifier().verify(try key.sign(claims)).principal
            #expect(principal.source == .gitlabCI)
            #expect(principal.attributes["project_path"] == "acme/web")
            #expect(principal.attributes["pipeline_id"] == "1234")
            #expect(principal.attributes["ref"] == "main")
            #expect(principal.attributes["user_login"] == "jdoe")
        }
    }

    @Test func namesUnixPrincipals() {
        let user = Principal.unix(uid: 1001, userName: "dev", host: "runner-1", daemonUID: 998)
        #expect(user.subject == "unix:dev(1001)@runner-1")
        #expect(user.source == .unix)
        #expect(user.attributes == ["uid": "1001"])
        let root = Principal.unix(uid: 0, userName: nil, host: "runner-1", daemonUID: 998)
        #expect(root.subject == "unix:root(0)@runner-1")
        #expect(root.attributes["account"] == "root")
        let daemon = Principal.unix(uid: 998, userName: "chaperone", host: "runner-1", daemonUID: 998)
        #expect(daemon.subject == "unix:chaperone(998)@runner-1")
        #expect(daemon.attributes["account"] == "daemon")
        #expect(Principal.unix(uid: 4242, userName: nil, host: "h").subject == "unix:?(4242)@h")
    }
}
