public import Identity
public import Interception
public import Logging
public import NIOCore
public import NIOSSL

/// What every connection of one daemon run shares: configuration, provider list, leaf cache,
/// upstream TLS context, pools (one per event loop) and the recorder.
public final class ProxyRuntime: Sendable {
    public let configuration: ChaperoneConfiguration
    public let catalog: ProviderCatalog
    public let leafCache: LeafContextCache
    public let recorder: ExchangeRecorder
    /// The masking rules, both directions.
    public let masking: MaskingEngine
    /// Finds the uid and process behind each connection; nil when sock_diag is unavailable.
    public let attributor: PeerAttributor?
    /// Verified tokens by uid, handed in over the control socket.
    public let tokens: TokenCache?
    /// The audit log the exchanges are written to; nil records only `exchanges.jsonl`.
    public let audit: AuditTrail?
    /// The policy every request is decided by; nil lets every request pass (no `policy.yaml`).
    public let policy: PolicyGate?
    public let logger: Logger
    let upstreamTLS: NIOSSLContext
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool?>]

    /// - Parameters:
    ///   - configuration: The daemon configuration.
    ///   - catalog: The intercept list.
    ///   - leafCache: Mints and caches the per-host server contexts.
    ///   - upstreamTLS: The client context for provider connections (trust roots, ALPN http/1.1).
    ///   - recorder: Where exchange records go.
    ///   - masking: The masking rules.
    ///   - attributor: Peer attribution (sock_diag + /proc), or nil to record no uid.
    ///   - tokens: Verified identities by uid, or nil when none are configured.
    ///   - audit: The audit log, or nil.
    ///   - policy: The policy gate, or nil to let every request pass.
    ///   - eventLoops: The loops connections run on; each gets its own upstream pool.
    ///   - logger: The daemon's logger.
    public init(
        configuration: ChaperoneConfiguration, catalog: ProviderCatalog, leafCache: LeafContextCache,
        upstreamTLS: NIOSSLContext, recorder: ExchangeRecorder, masking: MaskingEngine, attributor: PeerAttributor?,
        tokens: TokenCache?, audit: AuditTrail? = nil, policy: PolicyGate? = nil, eventLoops: [any EventLoop],
        logger: Logger
    ) {
        self.audit = audit
        self.policy = policy
        self.masking = masking
        self.attributor = attributor
        self.tokens = tokens
        self.configuration = configuration
        self.catalog = catalog
        self.leafCache = leafCache
        self.upstreamTLS = upstreamTLS
        self.recorder = recorder
        self.logger = logger
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool?>] = [:]
        for loop in eventLoops {
            // Each pool is created on first use, on its own loop.
            pools[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: UpstreamPool.self, eventLoop: loop)
        }
        self.pools = pools
    }

    /// The masking rule set for a connection: the one the policy names for its principal, or the
    /// default (`masking.yaml`) without a policy.
    func maskingEngine(for connection: InterceptedConnection) -> (name: String, engine: MaskingEngine) {
        guard let policy else { return ("default", masking) }
        return policy.maskingEngine(for: connection.effectivePrincipal, unixUser: connection.attribution?.userName,
                                    uid: connection.attribution?.uid)
    }

    /// The upstream pool of `eventLoop`; must be called on that loop.
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        guard let box = pools[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("no upstream pool for \(eventLoop); connections must run on the runtime's loops")
        }
        if let pool = box.value { return pool }
        let upstream = configuration.upstream
        let pool = UpstreamPool(
            eventLoop: eventLoop, tlsContext: upstreamTLS, connectTimeout: upstream.connectTimeout,
            maxIdlePerKey: upstream.maxIdlePerHost, idleTimeout: upstream.idleTimeout)
        box.value = pool
        return pool
    }

    /// The TLS context type of provider connections.
    public typealias UpstreamTLSContext = NIOSSLContext

    /// The client-side TLS context for provider connections.
    ///
    /// - Parameter trustBundle: A PEM file of trusted roots, or nil for the system store.
    /// - Throws: `NIOSSLError` when the bundle cannot be loaded.
    public static func makeUpstreamTLSContext(trustBundle: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = trustBundle.map { .file($0) } ?? .default
        configuration.applicationProtocols = ["http/1.1"]
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}
