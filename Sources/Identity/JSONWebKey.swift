import Crypto
import Foundation
import _CryptoExtras

/// A public signing key from an issuer's JWKS (RFC 7517), kept only when it is usable here:
/// RSA of at least 2048 bits or EC P-256, with `use` absent or `sig`.
struct JSONWebKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        /// The raw `x || y` of a P-256 key (the key type is not `Sendable` in swift-crypto 3).
        case p256(Data)
    }

    var keyID: String?
    /// The JWK's `alg`, when the issuer pins the key to one algorithm.
    var algorithm: String?
    var material: Material

    /// Whether this key may check a signature made with `algorithm` (a JWS `alg`). A key is
    /// never used outside its type: an RSA key is never an HMAC secret (the RS256→HS256
    /// confusion), an EC key never checks RS256.
    func accepts(_ algorithm: SignatureAlgorithm) -> Bool {
        if let pinned = self.algorithm, pinned != algorithm.rawValue { return false }
        switch (self.material, algorithm) {
        case (.rsa, .rs256), (.p256, .es256): return true
        default: return false
        }
    }

    /// Checks `signature` over `input`.
    func isValidSignature(_ signature: Data, for input: Data, algorithm: SignatureAlgorithm) -> Bool {
        guard self.accepts(algorithm) else { return false }
        switch self.material {
        case .rsa(let key):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: input),
                padding: .insecurePKCS1v1_5
            )
        case .p256(let raw):
            guard let key = try? P256.Signing.PublicKey(rawRepresentation: raw) else { return false }
            // JWS carries ECDSA as the 64-byte R || S (RFC 7518 §3.4), not DER.
            guard signature.count == 64, let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(ecdsa, for: SHA256.hash(data: input))
        }
    }
}

/// The JWS algorithms accepted. `none` and the HMAC family are absent on purpose: an HMAC
/// "key" would be the issuer's public key, which anyone has.
enum SignatureAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256"
    case es256 = "ES256"
}

/// A JWK Set as served at `jwks_uri`.
struct JSONWebKeySet: Sendable {
    var keys: [JSONWebKey]
    /// Keys skipped (unknown `kty`, a curve other than P-256, an RSA key under 2048 bits,
    /// `use: enc`), as `"kid: why"`, for the log.
    var skipped: [String]

    private struct Document: Decodable {
        var keys: [[String: JSONValue]]
    }

    /// Parses a JWKS document.
    /// - Throws: `TokenError.Code.discoveryFailed` when it is not `{"keys": [...]}`.
    init(parsing data: Data, from url: URL) throws(TokenError) {
        guard let document = try? JSONDecoder().decode(Document.self, from: data) else {
            throw TokenError(
                code: .discoveryFailed,
                message: "JWKS at \(url) is not a JSON object with a `keys` array; check the issuer's jwks_uri"
            )
        }
        var keys: [JSONWebKey] = []
        var skipped: [String] = []
        for entry in document.keys {
            let kid = entry["kid"]?.string
            do {
                if let key = try Self.key(from: entry) {
                    keys.append(key)
                }
            } catch {
                skipped.append("\(kid ?? "(no kid)"): \(error.reason)")
            }
        }
        self.keys = keys
        self.skipped = skipped
    }

    private struct Skip: Error {
        var reason: String
    }

    private static func key(from entry: [String: JSONValue]) throws(Skip) -> JSONWebKey? {
        if let use = entry["use"]?.string, use != "sig" {
            throw Skip(reason: "use is \(use), not sig")
        }
        let kid = entry["kid"]?.string
        let alg = entry["alg"]?.string
        switch entry["kty"]?.string {
        case "RSA":
            guard let n = entry["n"]?.string.flatMap(Base64URL.decode), let e = entry["e"]?.string.flatMap(Base64URL.decode)
            else { throw Skip(reason: "RSA key without base64url n and e") }
            guard let key = try? _RSA.Signing.PublicKey(n: n, e: e) else {
                throw Skip(reason: "RSA key that BoringSSL refused")
            }
            guard key.keySizeInBits >= 2048 else {
                throw Skip(reason: "RSA key of \(key.keySizeInBits) bits, under 2048")
            }
            return JSONWebKey(keyID: kid, algorithm: alg, material: .rsa(key))
        case "EC":
            guard entry["crv"]?.string == "P-256" else {
                throw Skip(reason: "EC curve \(entry["crv"]?.string ?? "?") is not P-256")
            }
            guard let x = entry["x"]?.string.flatMap(Base64URL.decode), let y = entry["y"]?.string.flatMap(Base64URL.decode),
                x.count == 32, y.count == 32,
                let key = try? P256.Signing.PublicKey(rawRepresentation: x + y)
            else { throw Skip(reason: "P-256 key with a bad x or y") }
            return JSONWebKey(keyID: kid, algorithm: alg, material: .p256(key.rawRepresentation))
        default:
            throw Skip(reason: "kty \(entry["kty"]?.string ?? "?") is not RSA or EC")
        }
    }
}
