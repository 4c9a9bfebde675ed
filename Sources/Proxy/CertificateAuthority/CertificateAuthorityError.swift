/// An error from creating, loading or using the organisation's CA.
///
/// Equal by ``code``; the ``message`` says what failed and what to do next.
public struct CertificateAuthorityError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Backing: Hashable, Sendable {
            case alreadyExists, notFound, unreadable, invalidCertificate, keyMismatch, notACertificateAuthority,
                unsupportedKey, writeFailed, mintingFailed
        }
        let backing: Backing
        /// The directory already holds a CA.
        public static let alreadyExists = Code(backing: .alreadyExists)
        /// No CA where one was expected.
        public static let notFound = Code(backing: .notFound)
        /// A file exists but could not be read.
        public static let unreadable = Code(backing: .unreadable)
        /// The certificate could not be parsed.
        public static let invalidCertificate = Code(backing: .invalidCertificate)
        /// The private key does not belong to the certificate.
        public static let keyMismatch = Code(backing: .keyMismatch)
        /// The certificate may not issue certificates (no CA:TRUE or keyCertSign).
        public static let notACertificateAuthority = Code(backing: .notACertificateAuthority)
        /// The key type is not one we can sign with.
        public static let unsupportedKey = Code(backing: .unsupportedKey)
        /// Writing the CA files failed.
        public static let writeFailed = Code(backing: .writeFailed)
        /// A leaf certificate could not be minted.
        public static let mintingFailed = Code(backing: .mintingFailed)
        public var description: String { String(describing: backing) }
    }

    /// The kind of failure.
    public let code: Code
    /// What failed and what to do next.
    public let message: String
    let file: String
    let line: Int

    init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
