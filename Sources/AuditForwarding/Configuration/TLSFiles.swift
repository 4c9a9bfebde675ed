/// Certificate files for a TLS connection to a receiver.
public struct TLSFiles: Sendable, Hashable {
    /// PEM bundle of the CAs that may sign the receiver's certificate (`ca_file`); the system
    /// trust store when `nil`.
    public var caFile: String?
    /// PEM client certificate chain for mutual TLS (`cert_file`).
    public var certificateFile: String?
    /// PEM private key of the client certificate (`key_file`).
    public var privateKeyFile: String?

    /// Creates the file set; certificate and key go together.
    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}
