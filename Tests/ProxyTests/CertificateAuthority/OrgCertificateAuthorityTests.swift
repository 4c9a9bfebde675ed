import Foundation
import Testing
import X509

@testable import Proxy

@Suite("Org CA")
struct OrgCertificateAuthorityTests {
    @Test("a generated CA is a constrained P-256 CA with a subject key identifier")
    func generatedCAIsConstrained() throws {
        let authority = try OrgCertificateAuthority.generate(commonName: "Acme Test CA")
        let certificate = authority.certificate
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(try certificate.extensions.keyUsage)
        #expect(usage.keyCertSign && usage.cRLSign && !usage.digitalSignature)
        #expect(try certificate.extensions.subjectKeyIdentifier != nil)
        #expect(certificate.subject == certificate.issuer)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
    }

    @Test("write then load round-trips; the key file is 0600 and an existing CA is kept")
    func writeAndLoad() throws {
        let directory = try TemporaryDirectory()
        let caDirectory = directory.url.appendingPathComponent("ca")
        let authority = try OrgCertificateAuthority.generate()
        try authority.write(to: caDirectory)
        let loaded = try OrgCertificateAuthority.load(from: caDirectory)
        #expect(loaded.certificate == authority.certificate)
        let keyAttributes = try FileManager.default.attributesOfItem(
            atPath: caDirectory.appendingPathComponent("ca.key").path)
        #expect((keyAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(throws: CertificateAuthorityError(.alreadyExists, "")) {
            try OrgCertificateAuthority.generate().write(to: caDirectory)
        }
        // --force replaces it.
        let replacement = try OrgCertificateAuthority.generate()
        try replacement.write(to: caDirectory, overwrite: true)
        #expect(try OrgCertificateAuthority.load(from: caDirectory).certificate == replacement.certificate)
    }

    @Test("loading from an empty directory says how to create a CA")
    func missingCA() throws {
        let directory = try TemporaryDirectory()
        do {
            _ = try OrgCertificateAuthority.load(from: directory.url)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("chaperone ca init"))
        }
    }

    @Test("import rejects a key that does not match the certificate")
    func keyMismatch() throws {
        let first = try OrgCertificateAuthority.generate()
        let second = try OrgCertificateAuthority.generate()
        #expect(throws: CertificateAuthorityError(.keyMismatch, "")) {
            _ = try OrgCertificateAuthority(certificate: first.certificate, privateKey: second.privateKey)
        }
    }

    @Test("import rejects a leaf certificate posing as a CA")
    func leafIsNotACA() throws {
        let authority = try OrgCertificateAuthority.generate()
        let minter = LeafMinter(authority: authority)
        let leaf = try minter.makeLeaf(for: "api.openai.com")
        #expect(throws: CertificateAuthorityError(.notACertificateAuthority, "")) {
            _ = try OrgCertificateAuthority(certificate: leaf, privateKey: minter.leafKey)
        }
    }

    @Test("import of an openssl-made CA (an independent implementation) works; garbage is refused clearly")
    func importFromOpenSSL() throws {
        let directory = try TemporaryDirectory()
        let cert = directory.url.appendingPathComponent("ext.pem")
        let key = directory.url.appendingPathComponent("ext.key")
        try OpenSSL.run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", key.path,
            "-out", cert.path, "-subj", "/CN=External CA", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        let authority = try OrgCertificateAuthority.load(certificate: cert, key: key)
        #expect("\(authority.certificate.subject)".contains("External CA"))
        let leaf = try LeafMinter(authority: authority).makeLeaf(for: "api.anthropic.com")
        #expect(leaf.signatureAlgorithm == .ecdsaWithSHA384)

        try Data("not a certificate".utf8).write(to: cert)
        #expect(throws: CertificateAuthorityError(.invalidCertificate, "")) {
            _ = try OrgCertificateAuthority.load(certificate: cert, key: key)
        }
    }
}
