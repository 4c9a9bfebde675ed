public import Foundation
import X509

extension OrgCertificateAuthority {
    /// Loads the CA stored in `directory` (`ca.pem` and `ca.key`).
    ///
    /// - Parameter directory: The CA directory.
    /// - Throws: ``CertificateAuthorityError`` with `.notFound` when the files are absent, `.unreadable`
    ///   or `.invalidCertificate` when they cannot be parsed, `.keyMismatch` when they do not belong together.
    public static func load(from directory: URL) throws(CertificateAuthorityError) -> OrgCertificateAuthority {
        let certURL = directory.appendingPathComponent(certificateFileName)
        let keyURL = directory.appendingPathComponent(keyFileName)
        guard FileManager.default.fileExists(atPath: certURL.path), FileManager.default.fileExists(atPath: keyURL.path)
        else {
            throw CertificateAuthorityError(
                .notFound,
                "no CA in \(directory.path); create one with `chaperone ca init --dir \(directory.path)` or import yours with `chaperone ca import`"
            )
        }
        return try load(certificate: certURL, key: keyURL)
    }

    /// Loads a CA from a PEM certificate file and a PEM private key file.
    ///
    /// - Parameters:
    ///   - certificate: Path of the PEM certificate.
    ///   - key: Path of the PEM private key (PKCS#8 or SEC1 for EC keys, PKCS#1 or PKCS#8 for RSA).
    /// - Throws: ``CertificateAuthorityError``.
    public static func load(certificate: URL, key: URL) throws(CertificateAuthorityError) -> OrgCertificateAuthority {
        let certPEM = try readText(certificate)
        let keyPEM = try readText(key)
        let parsedCertificate: Certificate
        do {
            parsedCertificate = try Certificate(pemEncoded: certPEM)
        } catch {
            throw CertificateAuthorityError(
                .invalidCertificate,
                "\(certificate.path) is not a PEM X.509 certificate (\(error)); export it with `openssl x509 -outform PEM`"
            )
        }
        let parsedKey: Certificate.PrivateKey
        do {
            parsedKey = try Certificate.PrivateKey(pemEncoded: keyPEM)
        } catch {
            throw CertificateAuthorityError(
                .unsupportedKey,
                "\(key.path) is not a PEM private key we can sign with (P-256, P-384, P-521 or RSA): \(error)"
            )
        }
        return try OrgCertificateAuthority(certificate: parsedCertificate, privateKey: parsedKey)
    }

    /// Writes the CA into `directory`: `ca.pem` (0644) and `ca.key` (0600), creating the directory (0700).
    ///
    /// - Parameters:
    ///   - directory: Where to write.
    ///   - overwrite: Replace an existing CA. Off by default: replacing a CA breaks every client that trusts it.
    ///   - owner: A uid/gid to own the files (the service user), or nil to keep the caller's.
    /// - Throws: ``CertificateAuthorityError`` with `.alreadyExists` or `.writeFailed`.
    public func write(to directory: URL, overwrite: Bool = false, owner: (uid: UInt32, gid: UInt32)? = nil)
        throws(CertificateAuthorityError)
    {
        let fm = FileManager.default
        let certURL = directory.appendingPathComponent(Self.certificateFileName)
        let keyURL = directory.appendingPathComponent(Self.keyFileName)
        if !overwrite, fm.fileExists(atPath: certURL.path) || fm.fileExists(atPath: keyURL.path) {
            throw CertificateAuthorityError(
                .alreadyExists,
                "\(directory.path) already holds a CA; clients trust it, so it is kept. Pass --force to replace it"
            )
        }
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let keyPEM = try privateKey.serializeAsPEM().pemString + "\n"
            // Create the key file 0600 before any byte is written, so the key is never world-readable.
            _ = fm.createFile(atPath: keyURL.path, contents: nil, attributes: [.posixPermissions: 0o600])
            try Data(keyPEM.utf8).write(to: keyURL)
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyURL.path)
            try Data((try certificatePEM() + "\n").utf8).write(to: certURL)
            try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: certURL.path)
            if let owner {
                for path in [directory.path, keyURL.path, certURL.path] where chown(path, owner.uid, owner.gid) != 0 {
                    throw CertificateAuthorityError(
                        .writeFailed,
                        "cannot give \(path) to uid \(owner.uid): \(String(cString: strerror(errno))); run as root"
                    )
                }
            }
        } catch let error as CertificateAuthorityError {
            throw error
        } catch {
            throw CertificateAuthorityError(.writeFailed, "cannot write the CA to \(directory.path): \(error)")
        }
    }

    private static func readText(_ url: URL) throws(CertificateAuthorityError) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw CertificateAuthorityError(
                .unreadable,
                "cannot read \(url.path): \(error); check the path and that this user may read it"
            )
        }
    }
}
