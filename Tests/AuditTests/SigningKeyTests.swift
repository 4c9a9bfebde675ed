import Foundation
import Testing

@testable import Audit

@Suite struct SigningKeyTests {
    @Test func loadOrCreateWritesAnOwnerOnlyFileAndReloadsIt() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("signing.key")
        let created = try AuditSigningKey.loadOrCreate(at: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect((attributes[.size] as? NSNumber)?.intValue == 32)
        let loaded = try AuditSigningKey.loadOrCreate(at: path)
        #expect(loaded.publicKey == created.publicKey)
        #expect(created.keyID.count == 16)
        #expect(created.keyID == String(AuditHash.sha256(created.publicKey.rawRepresentation).prefix(16)))
    }

    @Test func refusesAGroupReadableKeyFile() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("signing.key")
        _ = try AuditSigningKey.loadOrCreate(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        #expect {
            try AuditSigningKey.loadOrCreate(at: path)
        } throws: { error in
            let error = error as? AuditError
            return error?.code == .insecureKeyFile && error?.message.contains("chmod 600 \(path)") == true
        }
    }

    @Test func publicKeyPEMIsReadByOpenSSLAndParsedBack() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let key = AuditSigningKey.generate()
        let pemPath = dir.path("key.pem")
        try key.publicKeyPEM.write(toFile: pemPath, atomically: true, encoding: .utf8)
        let result = try run(openssl, ["pkey", "-pubin", "-in", pemPath, "-text", "-noout"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("ED25519 Public-Key"))
        let hex = AuditHash.hex(key.publicKey.rawRepresentation)
        let printed = result.stdout.filter { $0.isHexDigit }
        #expect(printed.contains(hex))
        #expect(try AuditPublicKey(pem: key.publicKeyPEM) == key.publicKey)
    }

    @Test func parsesAKeyWrittenByOpenSSL() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let privatePath = dir.path("priv.pem")
        let publicPath = dir.path("pub.pem")
        #expect(try run(openssl, ["genpkey", "-algorithm", "ed25519", "-out", privatePath]).status == 0)
        #expect(try run(openssl, ["pkey", "-in", privatePath, "-pubout", "-out", publicPath]).status == 0)
        let pem = try String(contentsOfFile: publicPath, encoding: .utf8)
        let key = try AuditPublicKey(pem: pem)
        #expect(key.pem == pem)
        #expect(throws: AuditError.self) { try AuditPublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
    }
}
