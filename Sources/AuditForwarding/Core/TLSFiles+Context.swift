public import NIOSSL

extension TLSFiles {
    /// Builds a client TLS context that verifies the receiver against `caFile` (or the system
    /// trust store) and its host name, presenting the client certificate when one is configured.
    ///
    /// Reads the files now, so that a wrong path is reported at start-up; building a context
    /// blocks, so call it off the event loop.
    ///
    /// - Parameters:
    ///   - sink: The sink's name, for error messages.
    ///   - applicationProtocols: ALPN identifiers to offer.
    /// - Throws: ``SinkError`` naming the unreadable file.
    func makeClientContext(sink: String, applicationProtocols: [String] = []) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        configuration.applicationProtocols = applicationProtocols
        if let caFile {
            let roots = try load("ca_file", caFile) { try NIOSSLCertificate.fromPEMFile(caFile) }
            guard !roots.isEmpty else {
                throw SinkError(.invalidConfiguration, sink: sink, "key `ca_file`: \(caFile) holds no PEM certificate; point it at the CA bundle that signed the receiver's certificate")
            }
            configuration.trustRoots = .certificates(roots)
        }
        if let certificateFile, let privateKeyFile {
            let chain = try load("cert_file", certificateFile) { try NIOSSLCertificate.fromPEMFile(certificateFile) }
            configuration.certificateChain = chain.map { .certificate($0) }
            let key = try load("key_file", privateKeyFile) { try NIOSSLPrivateKey(file: privateKeyFile, format: .pem) }
            configuration.privateKey = .privateKey(key)
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw SinkError(.invalidConfiguration, sink: sink, "cannot build the TLS context: \(error); check that cert_file and key_file belong together")
        }

        func load<T>(_ key: String, _ path: String, _ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch {
                throw SinkError(.invalidConfiguration, sink: sink, "key `\(key)`: cannot read \(path) as PEM (\(error)); check the path, its permissions and that it is PEM")
            }
        }
    }
}
