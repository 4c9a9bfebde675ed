import Crypto
public import Foundation
import SwiftASN1
public import X509

/// Mints short-lived server certificates for intercepted host names, signed by the org CA.
///
/// One leaf key is generated per daemon run and shared by every leaf: signing a leaf is then one
/// ECDSA signature, and a stolen leaf key dies with the process. Leaves carry exactly what clients
/// check (invariant 4): a SAN (DNS name or IP address), EKU serverAuth, `CA:FALSE`, and the CA's
/// key identifier, and are backdated a day so clients with a skewed clock accept them.
public struct LeafMinter: Sendable {
    /// The issuing authority.
    public let authority: OrgCertificateAuthority
    /// The key every leaf of this run certifies.
    let leafKey: Certificate.PrivateKey
    /// The same key in DER (PKCS#8), as the TLS stack loads it.
    let leafKeyDER: [UInt8]
    /// How long a leaf is valid after it is minted.
    public let lifetime: TimeInterval
    /// How far before "now" a leaf's validity starts.
    public let backdating: TimeInterval

    /// - Parameters:
    ///   - authority: The org CA that signs the leaves.
    ///   - lifetime: Validity after minting; hours to a few days (default 24 hours).
    ///   - backdating: Validity before minting, for clients whose clock runs late (default one day).
    public init(
        authority: OrgCertificateAuthority,
        lifetime: TimeInterval = 24 * 3_600,
        backdating: TimeInterval = 86_400
    ) {
        let key = P256.Signing.PrivateKey()
        self.authority = authority
        self.lifetime = lifetime
        self.backdating = backdating
        self.leafKey = Certificate.PrivateKey(key)
        self.leafKeyDER = Array(key.derRepresentation)
    }

    /// Mints a leaf certificate for `host`.
    ///
    /// - Parameters:
    ///   - host: A DNS name (`api.openai.com`) or an IP literal (`198.18.0.10`, `fd00::1`).
    ///   - now: The minting time.
    /// - Returns: The signed certificate.
    /// - Throws: ``CertificateAuthorityError`` with `.mintingFailed`.
    public func makeLeaf(for host: String, now: Date = Date()) throws(CertificateAuthorityError) -> Certificate {
        let publicKey = leafKey.publicKey
        let san: GeneralName
        if let ipBytes = IPAddressBytes(host) {
            san = .ipAddress(ASN1OctetString(contentBytes: ArraySlice(ipBytes.bytes)))
        } else {
            san = .dnsName(host)
        }
        do {
            let subject = try DistinguishedName {
                OrganizationName("Chaperone interception")
                // A CN is limited to 64 characters; the SAN is what clients check anyway.
                if host.utf8.count <= 64 { CommonName(host) }
            }
            return try Certificate(
                version: .v3,
                serialNumber: .init(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-backdating),
                notValidAfter: now.addingTimeInterval(lifetime),
                issuer: authority.certificate.subject,
                subject: subject,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames([san])
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier)
                },
                issuerPrivateKey: authority.privateKey
            )
        } catch {
            throw CertificateAuthorityError(.mintingFailed, "cannot mint a leaf for \(host): \(error)")
        }
    }
}
