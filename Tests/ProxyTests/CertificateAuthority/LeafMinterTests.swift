import Foundation
import Testing
import X509

@testable import Proxy

@Suite("Leaf minting")
struct LeafMinterTests {
    let authority: OrgCertificateAuthority

    init() throws {
        authority = try OrgCertificateAuthority.generate()
    }

    @Test("a leaf carries SAN, serverAuth, CA:FALSE and the CA's key identifier; backdated a day, short-lived")
    func leafExtensions() throws {
        let now = Date()
        let minter = LeafMinter(authority: authority, lifetime: 6 * 3_600)
        let leaf = try minter.makeLeaf(for: "api.openai.com", now: now)
        let san = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(Array(san) == [.dnsName("api.openai.com")])
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.authorityKeyIdentifier?.keyIdentifier == authority.keyIdentifier)
        #expect(leaf.issuer == authority.certificate.subject)
        #expect(abs(leaf.notValidBefore.timeIntervalSince(now.addingTimeInterval(-86_400))) < 2)
        #expect(abs(leaf.notValidAfter.timeIntervalSince(now.addingTimeInterval(6 * 3_600))) < 2)
    }

    @Test("an IP literal gets an iPAddress SAN", arguments: ["198.18.0.10", "fd00:c4a9::10"])
    func ipLeaf(host: String) throws {
        let leaf = try LeafMinter(authority: authority).makeLeaf(for: host)
        let san = try #require(try leaf.extensions.subjectAlternativeNames)
        guard case .ipAddress = san.first else {
            Issue.record("expected an iPAddress SAN, got \(Array(san))")
            return
        }
    }

    @Test("openssl verifies the leaf against the CA for the right name and purpose, and refuses another name")
    func opensslVerifiesLeaf() throws {
        let directory = try TemporaryDirectory()
        let caFile = directory.url.appendingPathComponent("ca.pem")
        let leafFile = directory.url.appendingPathComponent("leaf.pem")
        try Data(try authority.certificatePEM().utf8).write(to: caFile)
        let leaf = try LeafMinter(authority: authority).makeLeaf(for: "api.anthropic.com")
        try Data(try leaf.serializeAsPEM().pemString.utf8).write(to: leafFile)
        let ok = try OpenSSL.run([
            "verify", "-CAfile", caFile.path, "-purpose", "sslserver", "-verify_hostname", "api.anthropic.com",
            leafFile.path,
        ])
        #expect(ok.contains("OK"))
        #expect(throws: OpenSSL.Failure.self) {
            try OpenSSL.run(["verify", "-CAfile", caFile.path, "-verify_hostname", "evil.example", leafFile.path])
        }
        let text = try OpenSSL.run(["x509", "-in", leafFile.path, "-noout", "-text"])
        #expect(text.contains("TLS Web Server Authentication"))
        #expect(text.contains("DNS:api.anthropic.com"))
        #expect(text.contains("CA:FALSE"))
    }

    @Test("the cache mints once for concurrent first requests and reuses the context")
    func cacheMintsOnce() async throws {
        let cache = LeafContextCache(minter: LeafMinter(authority: authority))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask { _ = try await cache.context(for: "api.openai.com") }
            }
            try await group.waitForAll()
        }
        #expect(await cache.mintedCount == 1)
        _ = try await cache.context(for: "api.anthropic.com")
        _ = try await cache.context(for: "api.openai.com")
        #expect(await cache.mintedCount == 2)
    }

    @Test("the cache is bounded: past capacity the least recently used name is minted again")
    func cacheIsBounded() async throws {
        let cache = LeafContextCache(minter: LeafMinter(authority: authority), capacity: 2)
        _ = try await cache.context(for: "a.example")
        _ = try await cache.context(for: "b.example")
        _ = try await cache.context(for: "a.example")  // a is now the most recent
        _ = try await cache.context(for: "c.example")  // evicts b
        #expect(await cache.mintedCount == 3)
        _ = try await cache.context(for: "a.example")
        #expect(await cache.mintedCount == 3)
        _ = try await cache.context(for: "b.example")
        #expect(await cache.mintedCount == 4)
    }
}
