public import Crypto
public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Ed25519 key that signs checkpoints and tombstones.
///
/// Stored as the raw 32-byte private key in a file only its owner may read. Hand
/// ``publicKey`` (as ``AuditPublicKey/pem``) to auditors out of band so they can pin it.
public struct AuditSigningKey: Sendable {
    /// The raw 32-byte private key. Crypto's key types are not `Sendable` on every platform,
    /// so the bytes are kept and the key rebuilt per signature (microseconds, once per checkpoint).
    let raw: Data

    /// Wraps an existing key.
    public init(_ privateKey: Curve25519.Signing.PrivateKey) { self.raw = privateKey.rawRepresentation }

    /// Creates a key from its raw 32 bytes.
    /// - Throws: ``AuditError`` with code `.signingKey` for anything but 32 bytes.
    public init(rawRepresentation: Data) throws(AuditError) {
        do {
            raw = try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation).rawRepresentation
        } catch {
            throw AuditError(.signingKey, "an audit signing key must be 32 raw bytes (\(error))")
        }
    }

    var privateKey: Curve25519.Signing.PrivateKey {
        // `raw` was validated on creation.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    /// A new random key (tests, first start).
    public static func generate() -> AuditSigningKey { AuditSigningKey(Curve25519.Signing.PrivateKey()) }

    /// The public half, for verification.
    public var publicKey: AuditPublicKey { AuditPublicKey(privateKey.publicKey) }

    /// The first 16 hex digits of SHA-256 of the raw public key.
    public var keyID: String { publicKey.keyID }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    public var publicKeyPEM: String { publicKey.pem }

    /// Signs `message`.
    func signature(for message: String) throws(AuditError) -> Data {
        do {
            return try privateKey.signature(for: Data(message.utf8))
        } catch {
            throw AuditError(.signingKey, "cannot sign an audit checkpoint: \(error)")
        }
    }

    /// Loads the key at `path`, or creates one there (mode 0600) when the file does not exist.
    ///
    /// An existing file that its group or other users may read is refused: whoever holds the
    /// key can forge checkpoints.
    /// - Parameter path: The key file, for example `/var/lib/chaperone/audit-signing.key`.
    /// - Throws: ``AuditError`` with code `.insecureKeyFile` for a group- or world-readable
    ///   file, `.signingKey` when the file cannot be read, written or parsed.
    public static func loadOrCreate(at path: String) throws(AuditError) -> AuditSigningKey {
        var info = stat()
        if stat(path, &info) == 0 {
            if info.st_mode & 0o077 != 0 {
                throw AuditError(.insecureKeyFile, "the audit signing key \(path) is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)` and consider rotating the key")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AuditError(.signingKey, "cannot read the audit signing key \(path); run the daemon as the user that owns it")
            }
            guard data.count == 32 else {
                throw AuditError(.signingKey, "the audit signing key \(path) has \(data.count) bytes, not 32; restore it from backup or move it away to create a new key")
            }
            return try AuditSigningKey(rawRepresentation: data)
        }
        let key = generate()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw AuditError(.signingKey, "cannot create the audit signing key \(path): \(reason); check that the directory exists and belongs to the daemon's user")
        }
        defer { close(fd) }
        let raw = [UInt8](key.privateKey.rawRepresentation)
        let written = raw.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == raw.count, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw AuditError(.signingKey, "cannot write the audit signing key \(path): \(reason); free disk space and retry")
        }
        return key
    }
}
