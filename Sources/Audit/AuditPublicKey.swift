public import Crypto
public import Foundation

/// An Ed25519 public key that verifies checkpoint and tombstone signatures.
public struct AuditPublicKey: Sendable, Hashable {
    /// The raw 32 bytes (Crypto's key type is not `Sendable` on every platform).
    public let rawRepresentation: Data

    /// Wraps an existing key.
    public init(_ key: Curve25519.Signing.PublicKey) { self.rawRepresentation = key.rawRepresentation }

    /// Creates a key from its raw 32 bytes.
    /// - Throws: ``AuditError`` with code `.publicKey` for anything but 32 bytes.
    public init(rawRepresentation: Data) throws(AuditError) {
        do {
            self.rawRepresentation = try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation).rawRepresentation
        } catch {
            throw AuditError(.publicKey, "an Ed25519 public key has 32 raw bytes (\(error))")
        }
    }

    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID
    /// 1.3.101.112 }, BIT STRING (0 unused bits) }, followed by the 32 key bytes.
    static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// Parses a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) holding an Ed25519 key,
    /// as written by ``pem`` or `openssl pkey -pubout`.
    /// - Throws: ``AuditError`` with code `.publicKey` for another format or key type.
    public init(pem: String) throws(AuditError) {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN PUBLIC KEY-----"),
            let end = lines.firstIndex(of: "-----END PUBLIC KEY-----"), begin < end,
            let der = Data(base64Encoded: lines[(begin + 1)..<end].joined())
        else {
            throw AuditError(.publicKey, "not a PEM public key; expected the -----BEGIN PUBLIC KEY----- block from public-key.pem")
        }
        let bytes = [UInt8](der)
        guard bytes.count == 44, Array(bytes[0..<12]) == Self.spkiPrefix else {
            throw AuditError(.publicKey, "the PEM public key is not an Ed25519 key (OID 1.3.101.112); use the key Chaperone exported")
        }
        try self.init(rawRepresentation: Data(bytes[12...]))
    }

    /// The key as Crypto's type.
    public var key: Curve25519.Signing.PublicKey {
        // Validated on creation.
        try! Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
    }

    /// The first 16 hex digits of SHA-256 of the raw key; recorded in every signed payload.
    public var keyID: String { String(AuditHash.sha256(rawRepresentation).prefix(16)) }

    /// SubjectPublicKeyInfo PEM, readable by `openssl pkey -pubin -in key.pem -text`.
    public var pem: String {
        let der = Data(Self.spkiPrefix + [UInt8](rawRepresentation))
        return "-----BEGIN PUBLIC KEY-----\n" + der.base64EncodedString() + "\n-----END PUBLIC KEY-----\n"
    }

    /// Whether `signature` is this key's signature over `message`.
    func isValidSignature(_ signature: Data, for message: String) -> Bool {
        key.isValidSignature(signature, for: Data(message.utf8))
    }

}
