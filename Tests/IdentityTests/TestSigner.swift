@preconcurrency import Crypto
import Foundation
import _CryptoExtras

/// A signing key of the test issuer, and the JWTs it signs.
struct TestSigner: Sendable {
    enum Key: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
    }

    var kid: String
    var key: Key

    static func rsa(kid: String) throws -> TestSigner {
        TestSigner(kid: kid, key: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
    }

    static func p256(kid: String) -> TestSigner {
        TestSigner(kid: kid, key: .p256(P256.Signing.PrivateKey()))
    }

    var algorithm: String {
        switch self.key {
        case .rsa: return "RS256"
        case .p256: return "ES256"
        }
    }

    /// The public key as a JWK.
    var jwk: [String: String] {
        switch self.key {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            return [
                "kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                "n": base64url(primitives.modulus), "e": base64url(primitives.publicExponent),
            ]
        case .p256(let key):
            let raw = key.publicKey.rawRepresentation
            return [
                "kty": "EC", "kid": self.kid, "use": "sig", "crv": "P-256",
                "x": base64url(raw.prefix(32)), "y": base64url(raw.suffix(32)),
            ]
        }
    }

    /// The public key in PEM, as an attacker would download it for the HS256 confusion.
    var publicKeyPEM: String {
        switch self.key {
        case .rsa(let key): return key.publicKey.pemRepresentation
        case .p256(let key): return key.publicKey.pemRepresentation
        }
    }

    /// A signed compact JWS of `claims`.
    func sign(_ claims: [String: Any], header extra: [String: Any] = [:]) throws -> String {
        var header: [String: Any] = ["alg": self.algorithm, "kid": self.kid, "typ": "JWT"]
        header.merge(extra) { $1 }
        let input = try signingInput(header: header, claims: claims)
        let signature: Data
        switch self.key {
        case .rsa(let key):
            signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation
        case .p256(let key):
            signature = try key.signature(for: Data(input.utf8)).rawRepresentation
        }
        return input + "." + base64url(signature)
    }
}

func signingInput(header: [String: Any], claims: [String: Any]) throws -> String {
    let headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    let claimsData = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
    return base64url(headerData) + "." + base64url(claimsData)
}

func base64url(_ data: some DataProtocol) -> String {
    Data(data).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
