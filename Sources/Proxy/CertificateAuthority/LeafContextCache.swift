import Foundation
public import NIOSSL
import X509

/// Per-host TLS server contexts with minted leaves: minted once, reused until shortly before expiry.
///
/// Building a certificate and an `NIOSSLContext` blocks, so it happens here, off the event loops.
/// Concurrent first requests for the same name share one minting. The cache is bounded: past
/// ``capacity`` the entry used least recently is dropped.
public actor LeafContextCache {
    private enum Entry {
        case minting(Task<NIOSSLContext, any Error>)
        case ready(NIOSSLContext, refreshAfter: Date)
    }

    private let minter: LeafMinter
    private let applicationProtocols: [String]
    private let capacity: Int
    private var entries: [String: Entry] = [:]
    private var lastUse: [String: UInt64] = [:]
    private var clock: UInt64 = 0
    /// How many leaves this cache has minted (for metrics and tests).
    public private(set) var mintedCount = 0

    /// - Parameters:
    ///   - minter: Mints the leaves.
    ///   - applicationProtocols: ALPN protocols offered to clients, in preference order.
    ///   - capacity: The most host names kept.
    public init(minter: LeafMinter, applicationProtocols: [String] = ["h2", "http/1.1"], capacity: Int = 1_024) {
        self.minter = minter
        self.applicationProtocols = applicationProtocols
        self.capacity = max(1, capacity)
    }

    /// The server context presenting a leaf for `host`, minting one if none is cached or the cached one ages out.
    ///
    /// - Parameter host: The SNI host name (lower case) or the IP literal the client connected to.
    /// - Throws: ``CertificateAuthorityError`` when minting fails, or the `NIOSSLError` of building the context.
    public func context(for host: String) async throws -> NIOSSLContext {
        clock &+= 1
        lastUse[host] = clock
        switch entries[host] {
        case .ready(let context, let refreshAfter) where refreshAfter > Date():
            return context
        case .minting(let task):
            return try await task.value
        case .ready, .none:
            break
        }
        let minter = self.minter
        let protocols = self.applicationProtocols
        let task = Task<NIOSSLContext, any Error> {
            try Self.makeContext(host: host, minter: minter, applicationProtocols: protocols)
        }
        entries[host] = .minting(task)
        do {
            let context = try await task.value
            mintedCount += 1
            // Refresh once three quarters of the lifetime has passed.
            entries[host] = .ready(context, refreshAfter: Date().addingTimeInterval(minter.lifetime * 0.75))
            evictIfNeeded()
            return context
        } catch {
            entries[host] = nil
            throw error
        }
    }

    private func evictIfNeeded() {
        while entries.count > capacity {
            guard let victim = lastUse.filter({ entries[$0.key] != nil }).min(by: { $0.value < $1.value })?.key else {
                return
            }
            entries[victim] = nil
            lastUse[victim] = nil
        }
    }

    private static func makeContext(host: String, minter: LeafMinter, applicationProtocols: [String]) throws
        -> NIOSSLContext
    {
        let leaf = try minter.makeLeaf(for: host)
        let leafPEM = try leaf.serializeAsPEM().pemString
        let caPEM = try minter.authority.certificatePEM()
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(try NIOSSLCertificate(bytes: Array(leafPEM.utf8), format: .pem)),
                // The chain includes the CA so clients that only pin an intermediate store still build a path.
                .certificate(try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem)),
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: minter.leafKeyDER, format: .der))
        )
        configuration.applicationProtocols = applicationProtocols
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}
