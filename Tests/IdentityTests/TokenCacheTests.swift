import Foundation
import Testing
import Identity

@Suite("TokenCache")
struct TokenCacheTests {
    @Test func keepsEachUidsTokenApart() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            let cache = TokenCache(verifier: try issuer.makeVerifier())
            try await cache.set(token: try key.sign(issuer.claims(subject: "alice")), for: 1001)
            try await cache.set(token: try key.sign(issuer.claims(subject: "bob")), for: 1002)
            #expect(await cache.principal(for: 1001)?.subject == "alice")
            #expect(await cache.principal(for: 1002)?.subject == "bob")
            #expect(await cache.principal(for: 1003) == nil)
            #expect(await cache.principal(for: 0) == nil)

            // A refused token leaves the uid's entry, and nobody else's, as it was.
            let stranger = TestSigner.p256(kid: "ec-1")
            await expectTokenError(.badSignature) {
                try await cache.set(token: try stranger.sign(issuer.claims(subject: "mallory")), for: 1001)
            }
            #expect(await cache.principal(for: 1001)?.subject == "alice")

            #expect(await cache.remove(uid: 1002))
            #expect(await !cache.remove(uid: 1002))
            #expect(await cache.principal(for: 1002) == nil)
            #expect(await cache.principal(for: 1001)?.subject == "alice")
        }
    }

    @Test func dropsExpiredEntriesAndReportsThoseNeedingRefresh() async throws {
        let key = try TestSigner.rsa(kid: "rsa-1")
        try await withTestIssuer(keys: [key]) { issuer in
            let clock = ManualClock()
            let cache = TokenCache(verifier: try issuer.makeVerifier(), refreshWindow: 300, now: { clock.now })
            try await cache.set(token: try key.sign(issuer.claims(subject: "short", lifetime: 200)), for: 1)
            try await cache.set(token: try key.sign(issuer.claims(subject: "long", lifetime: 3600)), for: 2)

            // The 200 s token is due at half its lifetime (shorter than the 300 s window).
            #expect(await cache.needingRefresh().isEmpty)
            clock.advance(by: 100)
            let soon = await cache.needingRefresh()
            #expect(soon.map(\.uid) == [1])
            #expect(soon.first?.principal.subject == "short")

            clock.advance(by: 3300)
            #expect(await cache.principal(for: 1) == nil)
            #expect(await cache.count == 1)
            #expect(await cache.needingRefresh().map(\.uid) == [2])
            #expect(await cache.principal(for: 2)?.subject == "long")

            clock.advance(by: 300)
            #expect(await cache.needingRefresh().isEmpty)
            #expect(await cache.count == 0)
            #expect(await cache.principal(for: 2) == nil)
        }
    }
}
