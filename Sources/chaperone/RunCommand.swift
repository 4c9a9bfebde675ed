import ArgumentParser
import Audit
import AuditForwarding
import Foundation
import Identity
import Interception
import Logging
import NIOCore
import NIOPosix
import Policy
import Proxy
import ServiceLifecycle

/// `chaperone run`: the daemon, in the foreground (systemd runs exactly this).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the interception daemon in the foreground.",
        discussion: """
            Listens for redirected connections, terminates TLS for intercepted hosts with leaves from \
            the org CA (created under the state directory on first start if absent), relays each \
            request to the real provider and appends one JSON line per exchange to \
            STATE/exchanges.jsonl. SIGTERM or SIGINT stop it gracefully; the redirect rules stay in \
            place, so provider connections are refused until it is back (fail closed).
            """
    )

    @OptionGroup var config: ConfigOption

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        let configuration = try config.load()
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        var logger = Logger(label: "chaperone")
        logger.logLevel = level
        let catalog = try loadCatalog(configuration)
        let authority = try loadOrCreateCA(configuration, logger: logger)
        try FileManager.default.createDirectory(
            atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let recorder: ExchangeRecorder
        do {
            recorder = try ExchangeRecorder(path: configuration.exchangeLogPath, logger: logger)
        } catch {
            throw ValidationError(error.message)
        }
        let upstreamTLS: ProxyRuntime.UpstreamTLSContext
        do {
            upstreamTLS = try ProxyRuntime.makeUpstreamTLSContext(trustBundle: configuration.upstream.trustBundle)
        } catch {
            throw ValidationError(
                "cannot load the upstream trust bundle \(configuration.upstream.trustBundle ?? "(system)"): \(error)")
        }
        let masking: MaskingEngine
        do {
            masking = try MaskingEngine.load(
                rulesDirectory: configuration.effectiveRulesDirectory, stateDirectory: configuration.stateDirectory)
        } catch {
            throw ValidationError(error.message)
        }
        let attributor: PeerAttributor?
        do {
            attributor = try PeerAttributor(logger: logger)
        } catch {
            logger.warning("exchanges will carry no uid: \(error)")
            attributor = nil
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let tokens: TokenCache
        let refresher: TokenRefresher
        do {
            let fetcher = try HTTPSFetcher(
                trust: configuration.identity.issuerCABundle.map { .caBundle(path: $0) } ?? .system, group: group)
            let issuers = configuration.identity.trustedIssuers
            tokens = TokenCache(verifier: TokenVerifier(issuers: issuers, fetcher: fetcher, logger: logger))
            refresher = TokenRefresher(cache: tokens, issuers: issuers, fetcher: fetcher, logger: logger)
        } catch {
            throw ValidationError("identity: \(error)")
        }
        let loops = Array(group.makeIterator())
        let leafCache = LeafContextCache(
            minter: LeafMinter(authority: authority, lifetime: configuration.leafLifetime),
            capacity: configuration.leafCacheSize)
        let audit = try openAudit(configuration, logger: logger)
        let gate = try loadPolicy(configuration, catalog: catalog, audit: audit, masking: masking, logger: logger)
        let runtime = ProxyRuntime(
            configuration: configuration, catalog: catalog, leafCache: leafCache, upstreamTLS: upstreamTLS,
            recorder: recorder, masking: masking, attributor: attributor, tokens: tokens, audit: audit, policy: gate,
            eventLoops: loops, logger: logger)
        let server = InterceptionServer(runtime: runtime, group: group)
        let fingerprint = try authority.fingerprintSHA256()
        logger.notice(
            "starting",
            metadata: [
                "providers": "\(catalog.providers.count)", "state_dir": "\(configuration.stateDirectory)",
                "ca": "\(fingerprint)",
            ])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if configuration.dns.snooping {
            services.append(.init(service: DNSSnoopingService(configuration: configuration, catalog: catalog, logger: logger)))
        }
        var operations = gate?.controlOperations() ?? [:]
        operations.merge(audit?.controlOperations() ?? [:]) { first, _ in first }
        operations[.loginIssuers] = configuration.identity.loginIssuers.controlOperation
        if let audit {
            services.append(.init(service: AuditMaintenanceService(trail: audit, retentionDays: configuration.audit.retentionDays, logger: logger)))
            if let forwarding = try makeForwarding(configuration, store: audit.store, group: group, logger: logger) {
                services.append(.init(service: forwarding))
                services.append(.init(service: AuditForwardingBell(store: audit.store, forwarding: forwarding)))
            }
        }
        if let gate {
            services.append(.init(service: PolicyService(
                gate: gate, rulesDirectory: configuration.effectiveRulesDirectory,
                checkEvery: configuration.policy.reloadCheckSeconds, logger: logger)))
        }
        // Renews the tokens of users who logged in (refresh tokens, memory only) ahead of expiry.
        services.append(.init(service: TokenRefreshService(refresher: refresher)))
        services.append(
            .init(
                service: ControlSocketServer(
                    configuration: .init(path: configuration.identity.controlSocket), cache: tokens, logger: logger,
                    group: group, operations: operations)))
        // Shutdown runs in reverse order: the listener stops first.
        services.append(.init(service: server))
        let serviceGroup = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        // Closing the event loops closes the connections still open; their session.close
        // events are queued before the store is flushed, signed and closed.
        try await group.shutdownGracefully()
        recorder.flush()
        if let audit {
            await audit.store.flush()
            _ = try? await audit.store.checkpoint()
            await audit.store.close()
        }
    }

    /// The audit store (STATE/audit.db) and its signing key, created on first start.
    private func openAudit(_ configuration: ChaperoneConfiguration, logger: Logger) throws -> AuditTrail? {
        guard configuration.audit.enabled else {
            logger.warning("the audit log is off (audit.enabled: false); only exchanges.jsonl is written")
            return nil
        }
        do {
            let key = try AuditSigningKey.loadOrCreate(at: configuration.effectiveAuditKeyPath)
            var options = AuditStoreOptions()
            options.checkpointEveryEvents = configuration.audit.checkpointEvery
            options.checkpointInterval = TimeInterval(configuration.audit.checkpointIntervalSeconds)
            options.groupCommitDelay = TimeInterval(configuration.audit.groupCommitMilliseconds) / 1_000
            let store = try AuditStore(
                path: configuration.effectiveAuditPath, signingKey: key, options: options, logger: logger)
            // Auditors pin this key; it is written beside the store on every start.
            let publicPath = configuration.effectiveAuditKeyPath + ".pub"
            try? Data(key.publicKeyPEM.utf8).write(to: URL(fileURLWithPath: publicPath))
            logger.notice("audit log open", metadata: ["path": "\(configuration.effectiveAuditPath)", "key": "\(key.keyID)"])
            return AuditTrail(store: store, bodyLimit: configuration.audit.maxBodyBytes)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The policy of the rules directory; without a policy.yaml every request passes (logged).
    private func loadPolicy(
        _ configuration: ChaperoneConfiguration, catalog: ProviderCatalog, audit: AuditTrail?, masking: MaskingEngine,
        logger: Logger
    ) throws -> PolicyGate? {
        let directory = configuration.effectiveRulesDirectory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("policy.yaml").path) else {
            logger.warning("no policy.yaml in \(directory.path): every request is allowed (recorded and masked only)")
            return nil
        }
        let policy: Policy
        do {
            policy = try Policy.load(directory: directory)
        } catch {
            throw ValidationError("the policy does not load; fix it (chaperone policy check \(directory.path)):\n\(error.description)")
        }
        logger.notice("policy loaded", metadata: ["hash": "\(policy.hash.prefix(12))", "dir": "\(directory.path)"])
        do {
            return try PolicyGate(
                policy: policy, rulesDirectory: directory, knownProviders: Set(catalog.providers.map { $0.name }),
                trail: audit, webhookURL: configuration.policy.approvalWebhook,
                trustBundle: configuration.upstream.trustBundle, grantsPath: configuration.grantsPath,
                defaultMasking: masking, logger: logger)
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }

    /// The SIEM forwarder of `audit.sinks`, or nil when none are configured.
    private func makeForwarding(
        _ configuration: ChaperoneConfiguration, store: AuditStore, group: any EventLoopGroup, logger: Logger
    ) throws -> ForwardingService? {
        guard let yaml = configuration.audit.sinksYAML else { return nil }
        do {
            let sinks = try AuditSinkList.decode(yaml: yaml)
            guard !sinks.isEmpty else { return nil }
            let made = try sinks.map { try makeSink($0, eventLoopGroup: group, logger: logger) }
            let service = try ForwardingService(source: AuditStoreSource(store: store), sinks: made, logger: logger)
            logger.notice("forwarding the audit log", metadata: ["sinks": "\(sinks.map { $0.name }.joined(separator: ","))"])
            return service
        } catch {
            throw ValidationError("audit.sinks: \(error)")
        }
    }

    private func loadOrCreateCA(_ configuration: ChaperoneConfiguration, logger: Logger) throws -> OrgCertificateAuthority {
        let directory = configuration.effectiveCADirectory
        do {
            return try OrgCertificateAuthority.load(from: directory)
        } catch where error.code == .notFound {
            let authority = try OrgCertificateAuthority.generate()
            try authority.write(to: directory)
            logger.notice(
                "created a new org CA; install its certificate into clients' trust stores",
                metadata: ["certificate": "\(directory.appendingPathComponent(OrgCertificateAuthority.certificateFileName).path)"])
            return authority
        } catch {
            throw ValidationError(error.message)
        }
    }
}
