import Crypto
public import Foundation
import SwiftASN1
public import X509

/// The organisation's certificate authority: the root that every intercepted client trusts.
///
/// Chaperone terminates TLS for LLM hosts with leaf certificates this CA signs. The CA itself is a
/// P-256 key and a self-signed certificate constrained to `CA:TRUE, pathlen:0` with
/// `keyCertSign, cRLSign`, so it can sign leaves and nothing that signs further. Its key stays in
/// the daemon's state directory (invariant 4): files are written `0600`.
public struct OrgCertificateAuthority: Sendable {
    /// The CA certificate clients trust.
    public let certificate: Certificate
    /// The CA's signing key.
    let privateKey: Certificate.PrivateKey

    /// The file name of the CA certificate inside a CA directory.
    public static let certificateFileName = "ca.pem"
    /// The file name of the CA key inside a CA directory.
    public static let keyFileName = "ca.key"

    /// Wraps an existing certificate and key after checking that they form a usable CA.
    ///
    /// - Parameters:
    ///   - certificate: A CA certificate (basicConstraints CA:TRUE; keyCertSign if key usage is present).
    ///   - privateKey: The key whose public half is in `certificate`.
    /// - Throws: ``CertificateAuthorityError`` with `.keyMismatch` or `.notACertificateAuthority`.
    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws(CertificateAuthorityError) {
        guard certificate.publicKey == privateKey.publicKey else {
            throw CertificateAuthorityError(
                .keyMismatch,
                "the private key does not match the CA certificate's public key; pass the key that was issued with this certificate"
            )
        }
        let constraints = try? certificate.extensions.basicConstraints
        guard case .isCertificateAuthority = constraints else {
            throw CertificateAuthorityError(
                .notACertificateAuthority,
                "the certificate is not a CA (basicConstraints CA:TRUE is missing); import your organisation's issuing CA, not a leaf"
            )
        }
        if let usage = try? certificate.extensions.keyUsage, !usage.keyCertSign {
            throw CertificateAuthorityError(
                .notACertificateAuthority,
                "the CA certificate's keyUsage lacks keyCertSign, so clients would reject the leaves it signs"
            )
        }
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// Creates a fresh CA with a new P-256 key.
    ///
    /// - Parameters:
    ///   - commonName: The subject common name, e.g. `"Acme Chaperone CA"`.
    ///   - organization: The subject organisation.
    ///   - validity: How long the CA is valid from now.
    ///   - now: The current time (injectable for tests).
    /// - Throws: ``CertificateAuthorityError`` with `.mintingFailed` if the certificate cannot be built.
    public static func generate(
        commonName: String = "Chaperone Interception CA",
        organization: String = "Chaperone",
        validity: TimeInterval = 10 * 365 * 86_400,
        now: Date = Date()
    ) throws(CertificateAuthorityError) -> OrgCertificateAuthority {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        do {
            let name = try DistinguishedName {
                OrganizationName(organization)
                CommonName(commonName)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: key.publicKey,
                notValidBefore: now.addingTimeInterval(-3_600),
                notValidAfter: now.addingTimeInterval(validity),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: key.publicKey)
                },
                issuerPrivateKey: key
            )
            return try OrgCertificateAuthority(certificate: certificate, privateKey: key)
        } catch let error as CertificateAuthorityError {
            throw error
        } catch {
            throw CertificateAuthorityError(.mintingFailed, "cannot build the CA certificate: \(error)")
        }
    }

    /// The identifier leaves carry in their authority key identifier.
    ///
    /// The CA's own subject key identifier when it has one (RFC 5280 4.2.1.1), else the SHA-1 of its key.
    var keyIdentifier: ArraySlice<UInt8> {
        if let ski = try? certificate.extensions.subjectKeyIdentifier {
            return ski.keyIdentifier
        }
        return SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }

    /// The CA certificate in PEM, as clients install it.
    public func certificatePEM() throws -> String {
        try certificate.serializeAsPEM().pemString
    }

    /// The SHA-256 fingerprint of the CA certificate, upper-case hex separated by colons (as `openssl x509 -fingerprint`).
    public func fingerprintSHA256() throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
