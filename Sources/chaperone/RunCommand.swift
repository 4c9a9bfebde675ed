import ArgumentParser
import Foundation
import Identity
import Logging
import NIOCore
import NIOPosix
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
        do {
            let fetcher = try HTTPSFetcher(
                trust: configuration.identity.issuerCABundle.map { .caBundle(path: $0) } ?? .system, group: group)
            let issuers = configuration.identity.issuers.compactMap { issuer in
                URL(string: issuer.issuer).map {
                    TrustedIssuer(issuer: $0, audience: issuer.audience, groupsClaim: issuer.groupsClaim)
                }
            }
            tokens = TokenCache(verifier: TokenVerifier(issuers: issuers, fetcher: fetcher, logger: logger))
        } catch {
            throw ValidationError("identity: \(error)")
        }
        let loops = Array(group.makeIterator())
        let leafCache = LeafContextCache(
            minter: LeafMinter(authority: authority, lifetime: configuration.leafLifetime),
            capacity: configuration.leafCacheSize)
        let runtime = ProxyRuntime(
            configuration: configuration, catalog: catalog, leafCache: leafCache, upstreamTLS: upstreamTLS,
            recorder: recorder, masking: masking, attributor: attributor, tokens: tokens, eventLoops: loops,
            logger: logger)
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
        services.append(
            .init(
                service: ControlSocketServer(
                    configuration: .init(path: configuration.identity.controlSocket), cache: tokens, logger: logger,
                    group: group)))
        // Shutdown runs in reverse order: the listener stops first.
        services.append(.init(service: server))
        let serviceGroup = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        recorder.flush()
        try await group.shutdownGracefully()
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
