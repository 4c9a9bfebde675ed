public import Foundation
import Interception

/// The daemon's configuration: one YAML file, every key optional.
///
/// The defaults make `chaperone run` work with no file at all on a fresh machine: the CA is
/// created under the state directory on first start and the shipped `Rules/` are used.
public struct ChaperoneConfiguration: Sendable, Equatable {
    /// Where the daemon accepts redirected connections.
    public struct Listen: Sendable, Equatable {
        /// The TCP port the REDIRECT rules send to.
        public var port: Int = 15443
        /// Addresses to bind. `::` is dual-stack (IPv4 arrives as v4-mapped); if IPv6 is off it falls back to `0.0.0.0`.
        public var addresses: [String] = ["::"]
    }

    /// How the daemon talks to the real providers.
    public struct Upstream: Sendable, Equatable {
        /// A PEM bundle of CAs to trust upstream; nil uses the system store.
        public var trustBundle: String?
        /// TCP connect + TLS handshake limit.
        public var connectTimeout: TimeAmount = .seconds(10)
        /// Kept-alive connections per (address, SNI) and event loop. The upstream side speaks
        /// HTTP/1.1, one exchange per connection at a time: a cap below the concurrency clients
        /// reach closes connections that the next requests must open again (a TCP and TLS
        /// handshake each), so it is generous; `idleTimeout` trims what load leaves behind.
        public var maxIdlePerHost = 256
        /// How long an unused pooled connection stays open.
        public var idleTimeout: TimeAmount = .seconds(90)
    }

    /// Limits that keep a misbehaving client from holding resources.
    public struct Timeouts: Sendable, Equatable {
        /// Time for the client to send its whole ClientHello.
        public var clientHello: TimeAmount = .seconds(10)
        /// A connection with no byte in either direction for this long is closed.
        public var idle: TimeAmount = .seconds(300)
    }

    /// What to do with a TLS connection that names no server (no SNI).
    public enum NoSNIAction: String, Sendable, Equatable {
        /// Relay it untouched to its original destination and record the metadata.
        case splice
        /// Close it.
        case reject
    }

    public var listen = Listen()
    /// The org CA directory (`ca.pem`, `ca.key`).
    public var caDirectory: String?
    /// Where records, the CA (by default) and the audit store live.
    public var stateDirectory = "/var/lib/chaperone"
    /// The rules directory (`providers.yaml`, policy, masking rules); nil searches the usual places.
    public var rulesDirectory: String?
    /// Hosts intercepted in addition to `providers.yaml`.
    public var interceptHosts: [String] = []
    public var upstream = Upstream()
    public var timeouts = Timeouts()
    /// Lifetime of a minted leaf.
    public var leafLifetime: TimeInterval = 24 * 3_600
    /// Host names whose leaf contexts are kept.
    public var leafCacheSize = 1_024
    /// The user the daemon runs as; its traffic is exempt from the redirect.
    public var exemptUser = "chaperone"
    /// What to do when a ClientHello carries no SNI.
    public var noSNI: NoSNIAction = .splice

    /// DNS snooping: answers about provider names keep the ipsets current.
    public struct DNS: Sendable, Equatable {
        /// Run the snooper in the daemon (needs CAP_NET_ADMIN).
        public var snooping = true
        /// The NFQUEUE number of the `CHAPERONE-DNS` rules.
        public var queue: UInt16 = 0
        /// `--queue-bypass`: DNS keeps working while the daemon is down (fail open for DNS only;
        /// provider connections stay fail closed). Off makes name resolution stop with the daemon.
        public var queueBypass = true
        /// The least time an address learnt from DNS stays in the set, whatever its TTL.
        public var minimumTTL: UInt32 = 60
        /// How often the daemon re-resolves the provider names itself.
        public var refreshMinutes = 10
    }

    public var dns = DNS()

    /// Verified identities: the control socket where users hand in tokens, and the issuers trusted.
    public struct IdentityOptions: Sendable, Equatable {
        /// One trusted OIDC issuer.
        public struct Issuer: Sendable, Equatable {
            public var issuer: String
            public var audience: String
            public var groupsClaim = "groups"
            /// The OAuth client id of `chaperone login` and of the daemon's refresh; nil is `audience`.
            public var clientID: String?
            /// Whether `chaperone login` (the device flow) may use this issuer; false for CI issuers.
            public var deviceFlow = true
            /// The scopes `chaperone login` asks for; nil is `openid email profile groups offline_access`.
            public var scope: String?
        }
        /// The Unix socket `chaperone token set`, `whoami` and `logout` talk to.
        public var controlSocket = "/run/chaperone/control.sock"
        /// Issuers whose tokens are accepted; none means every principal is a unix one.
        public var issuers: [Issuer] = []
        /// A PEM bundle to verify issuers' HTTPS with instead of the system store (private issuers, tests).
        public var issuerCABundle: String?
    }

    public var identity = IdentityOptions()

    /// The audit log: where it lives, how often it is signed, how long it is kept.
    public struct AuditOptions: Sendable, Equatable {
        /// Write the audit log (the SQLite store). Off leaves only `exchanges.jsonl`.
        public var enabled = true
        /// The SQLite file; nil is `STATE/audit.db`.
        public var path: String?
        /// The Ed25519 checkpoint key; nil is `STATE/audit-signing.key`.
        public var signingKey: String?
        /// A signed checkpoint after this many events…
        public var checkpointEvery = 1_000
        /// …or after this many seconds with new events, whichever comes first.
        public var checkpointIntervalSeconds = 60
        /// Events older than this many days are pruned (a signed tombstone keeps the chain
        /// verifiable); 0 keeps everything. ISO deployments often keep one to three years.
        public var retentionDays = 365
        /// The most bytes of each masked body an event keeps; the rest is counted.
        public var maxBodyBytes = 256 * 1_024
        /// How long the writer gathers events into one transaction (group commit).
        public var groupCommitMilliseconds = 2
        /// The SIEM sinks as written under `audit.sinks` (decoded by the forwarder).
        public var sinksYAML: String?
    }

    public var audit = AuditOptions()

    /// Policy decisions and approvals (`Rules/policy.yaml` holds the rules themselves).
    public struct PolicyOptions: Sendable, Equatable {
        /// Where each pending approval is announced: a JSON POST (Slack-compatible `text`).
        public var approvalWebhook: String?
        /// How often the policy files are checked for changes (SIGHUP reloads at once).
        public var reloadCheckSeconds = 2
    }

    public var policy = PolicyOptions()

    /// Bounds on decoding compressed bodies (gzip, deflate, br) before they are masked.
    public struct Decoding: Sendable, Equatable {
        /// The most bytes one body may decode to; a body past it is refused (request) or cut
        /// (response).
        public var maxBodyBytes = 64 * 1_024 * 1_024
        /// The most decoded bytes per compressed byte once a body has decoded to 1 MiB: a
        /// decompression bomb is stopped long before `maxBodyBytes`.
        public var maxRatio = 1_000
    }

    public var decoding = Decoding()

    public init() {}

    /// The audit store in force.
    public var effectiveAuditPath: String {
        audit.path ?? (stateDirectory as NSString).appendingPathComponent("audit.db")
    }

    /// The checkpoint key in force.
    public var effectiveAuditKeyPath: String {
        audit.signingKey ?? (stateDirectory as NSString).appendingPathComponent("audit-signing.key")
    }

    /// Where time-bound grants are kept across restarts.
    public var grantsPath: String {
        (stateDirectory as NSString).appendingPathComponent("grants.json")
    }

    /// The CA directory in force: the configured one or `STATE/ca`.
    public var effectiveCADirectory: URL {
        URL(fileURLWithPath: caDirectory ?? (stateDirectory as NSString).appendingPathComponent("ca"))
    }

    /// The rules directory in force: configured, else `/etc/chaperone/rules`, else `share/chaperone/rules`
    /// beside the executable, else `./Rules`.
    public var effectiveRulesDirectory: URL {
        if let rulesDirectory { return URL(fileURLWithPath: rulesDirectory) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        let candidates = [
            "/etc/chaperone/rules",
            executable.deletingLastPathComponent().appendingPathComponent("../share/chaperone/rules").standardized.path,
            FileManager.default.currentDirectoryPath + "/Rules",
        ]
        let found = candidates.first { FileManager.default.fileExists(atPath: $0 + "/providers.yaml") }
        return URL(fileURLWithPath: found ?? candidates[0])
    }

    /// The file exchanges are appended to, one JSON object per line.
    public var exchangeLogPath: String {
        (stateDirectory as NSString).appendingPathComponent("exchanges.jsonl")
    }
}
