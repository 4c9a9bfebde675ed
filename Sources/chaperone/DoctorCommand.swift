import ArgumentParser
import Foundation
import Interception
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Proxy

/// `chaperone doctor`: is this host protected, and does every runtime trust the org CA?
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that interception works on this host and say what to fix.",
        discussion: """
            Checks the redirect rules and the daemon, that the org CA is trusted where clients look \
            for it (system bundle, NODE_EXTRA_CA_CERTS, Python's certifi, every Java cacerts \
            keystore when Java is installed), and makes a real request \
            to a provider host through the redirect: it must be answered with a leaf from the org \
            CA and leave a record. Exit status 0 when every check passes, 1 otherwise.
            """)

    @OptionGroup var config: ConfigOption

    @Flag(help: "Print the checks as JSON.")
    var json = false

    struct Check: Encodable {
        let name: String
        let ok: Bool
        let detail: String
        /// What to do when it failed.
        let fix: String?
    }

    func run() async throws {
        let configuration = try config.load()
        var checks: [Check] = []
        let status = try? RuleInstaller(logger: cliLogger()).status(daemonPort: configuration.listen.port)
        let rulesOK = status.map { $0.ipv4.jumpPresent || ($0.ipv6?.jumpPresent ?? false) } ?? false
        checks.append(
            Check(
                name: "rules", ok: rulesOK, detail: rulesOK ? "redirect installed" : "no redirect installed",
                fix: rulesOK ? nil : "run `chaperone rules install --config FILE` as root"))
        let daemonOK = status?.daemonAnswers ?? false
        checks.append(
            Check(
                name: "daemon", ok: daemonOK,
                detail: daemonOK ? "answering on port \(configuration.listen.port)" : "nothing answers on port \(configuration.listen.port)",
                fix: daemonOK ? nil : "start it: `systemctl start chaperone` (or `chaperone run --config FILE`)"))
        let caPath = configuration.effectiveCADirectory.appendingPathComponent(OrgCertificateAuthority.certificateFileName).path
        guard let caPEM = try? String(contentsOfFile: caPath, encoding: .utf8) else {
            checks.append(Check(name: "org-ca", ok: false, detail: "cannot read \(caPath)", fix: "run as root, or create the CA with `chaperone ca init`"))
            return try report(checks)
        }
        checks.append(Check(name: "org-ca", ok: true, detail: caPath, fix: nil))
        checks += trustChecks(caPEM: caPEM)
        checks += Self.javaTrustChecks(caPath: caPath)
        checks += await selfTest(configuration: configuration, caPath: caPath)
        try report(checks)
    }

    private func report(_ checks: [Check]) throws {
        if json {
            try printJSON(checks)
        } else {
            for check in checks {
                print("\(check.ok ? "ok  " : "FAIL") \(check.name): \(check.detail)")
                if let fix = check.fix { print("     fix: \(fix)") }
            }
        }
        if checks.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    /// The base64 body of the CA certificate, to find it in bundles whatever their line endings.
    private static func body(_ pem: String) -> String {
        pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
    }

    private static func bundle(_ path: String, contains pem: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return body(text).contains(body(pem))
    }

    private func trustChecks(caPEM: String) -> [Check] {
        var checks: [Check] = []
        let system = "/etc/ssl/certs/ca-certificates.crt"
        let inSystem = Self.bundle(system, contains: caPEM)
        checks.append(
            Check(
                name: "trust-system", ok: inSystem, detail: inSystem ? "in \(system)" : "not in \(system)",
                fix: inSystem ? nil : "copy the CA to /usr/local/share/ca-certificates/ and run update-ca-certificates (deploy/install.sh does)"))
        let node = ProcessInfo.processInfo.environment["NODE_EXTRA_CA_CERTS"]
        let nodeOK = node.map { Self.bundle($0, contains: caPEM) } ?? false
        checks.append(
            Check(
                name: "trust-node", ok: nodeOK, detail: node.map { "NODE_EXTRA_CA_CERTS=\($0)" } ?? "NODE_EXTRA_CA_CERTS is not set",
                fix: nodeOK ? nil : "export NODE_EXTRA_CA_CERTS pointing at the CA (node ships its own roots)"))
        if let certifi = Self.certifiBundle() {
            let ok = Self.bundle(certifi, contains: caPEM)
            checks.append(
                Check(
                    name: "trust-python-certifi", ok: ok, detail: certifi,
                    fix: ok ? nil : "append the CA to \(certifi) (deploy/install.sh does), or set REQUESTS_CA_BUNDLE"))
        }
        return checks
    }

    /// Where `python3`'s certifi keeps its bundle, if python3 and certifi are installed.
    private static func certifiBundle() -> String? {
        guard let python = executable(named: "python3"),
            let printed = output(of: python, ["-c", "import certifi; print(certifi.where())"])
        else { return nil }
        let path = printed.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : path
    }

    /// A real request through the redirect, trusting only the org CA: proves the interception.
    private func selfTest(configuration: ChaperoneConfiguration, caPath: String) async -> [Check] {
        guard let catalog = try? loadCatalog(configuration),
            let host = catalog.resolvableHosts.first(where: { !HostResolver.addresses(of: $0).ipv4.isEmpty })
        else {
            return [Check(name: "self-test", ok: false, detail: "no provider host resolves", fix: "check DNS for the hosts in providers.yaml")]
        }
        let recordsBefore = Self.recordCount(configuration.exchangeLogPath)
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caPath)
            let context = try NIOSSLContext(configuration: tls)
            let status = try await Self.get(host: host, context: context)
            var checks = [Check(name: "self-test", ok: true, detail: "https://\(host)/v1/models answered \(status) with a leaf from the org CA", fix: nil)]
            // The daemon writes the record off its event loops, just after answering: wait for it
            // a little (a loaded host takes longer than an idle one).
            var after = Self.recordCount(configuration.exchangeLogPath)
            for _ in 0..<30 where (after ?? 0) <= (recordsBefore ?? 0) {
                try? await Task.sleep(for: .milliseconds(100))
                after = Self.recordCount(configuration.exchangeLogPath)
            }
            if let after, let before = recordsBefore {
                let recorded = after > before
                checks.append(
                    Check(
                        name: "recorded", ok: recorded, detail: recorded ? configuration.exchangeLogPath : "no new record in \(configuration.exchangeLogPath)",
                        fix: recorded ? nil : "check the daemon's log"))
            }
            return checks
        } catch {
            return [Check(name: "self-test", ok: false, detail: "https://\(host): \(error)", fix: "the connection was not intercepted: check `chaperone rules status` and the daemon's log")]
        }
    }

    private static func recordCount(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.split(separator: "\n").count }
    }

    private static func get(host: String, context: NIOSSLContext) async throws -> UInt {
        let promise = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: UInt.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: host))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(StatusCatcher(promise: promise))
                }
            }
            .connect(host: host, port: 443).get()
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/v1/models",
            headers: ["Host": host, "User-Agent": "chaperone-doctor", "Connection": "close"])
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }
}

/// Completes a promise with the status of the first response head.
private final class StatusCatcher: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private var promise: EventLoopPromise<UInt>?
    init(promise: EventLoopPromise<UInt>) { self.promise = promise }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { complete(.success(head.status.code)) }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        complete(.failure(error))
        context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
        complete(.failure(ChannelError.eof))
        context.fireChannelInactive()
    }
    private func complete(_ result: Result<UInt, any Error>) {
        promise?.completeWith(result)
        promise = nil
    }
}
