public import Foundation
public import Interception
import Yams

/// Reads `chaperone.yaml` and `Rules/providers.yaml`, rejecting unknown keys with the line they are on.
public enum ConfigurationLoader {
    /// Loads the daemon configuration.
    ///
    /// - Parameter path: The YAML file, or nil for the defaults.
    /// - Throws: ``ConfigurationError`` naming the file, line and expected value.
    public static func load(path: String?) throws(ConfigurationError) -> ChaperoneConfiguration {
        var configuration = ChaperoneConfiguration()
        guard let path else { return configuration }
        let document = try mapping(in: path)
        var reader = MappingReader(file: path, node: document)
        try reader.allowOnly([
            "listen", "ca_dir", "state_dir", "rules_dir", "intercept_hosts", "upstream", "timeouts", "leaf",
            "exempt_user", "no_sni", "dns", "identity", "audit", "policy", "decoding",
        ])
        if var listen = try reader.mapping("listen") {
            try listen.allowOnly(["port", "addresses"])
            if let port = try listen.int("port", in: 1...65_535) { configuration.listen.port = port }
            if let addresses = try listen.strings("addresses") { configuration.listen.addresses = addresses }
        }
        configuration.caDirectory = try reader.string("ca_dir") ?? configuration.caDirectory
        configuration.stateDirectory = try reader.string("state_dir") ?? configuration.stateDirectory
        configuration.rulesDirectory = try reader.string("rules_dir") ?? configuration.rulesDirectory
        configuration.interceptHosts = try reader.strings("intercept_hosts") ?? []
        if var upstream = try reader.mapping("upstream") {
            try upstream.allowOnly(["trust_bundle", "connect_timeout_ms", "max_idle_per_host", "idle_timeout_ms"])
            configuration.upstream.trustBundle = try upstream.string("trust_bundle")
            if let ms = try upstream.int("connect_timeout_ms", in: 1...600_000) {
                configuration.upstream.connectTimeout = .milliseconds(Int64(ms))
            }
            if let count = try upstream.int("max_idle_per_host", in: 0...16_384) {
                configuration.upstream.maxIdlePerHost = count
            }
            if let ms = try upstream.int("idle_timeout_ms", in: 1...86_400_000) {
                configuration.upstream.idleTimeout = .milliseconds(Int64(ms))
            }
        }
        if var timeouts = try reader.mapping("timeouts") {
            try timeouts.allowOnly(["client_hello_ms", "idle_ms"])
            if let ms = try timeouts.int("client_hello_ms", in: 1...600_000) {
                configuration.timeouts.clientHello = .milliseconds(Int64(ms))
            }
            if let ms = try timeouts.int("idle_ms", in: 1...86_400_000) {
                configuration.timeouts.idle = .milliseconds(Int64(ms))
            }
        }
        if var leaf = try reader.mapping("leaf") {
            try leaf.allowOnly(["lifetime_hours", "cache_size"])
            if let hours = try leaf.int("lifetime_hours", in: 1...(24 * 7)) {
                configuration.leafLifetime = TimeInterval(hours) * 3_600
            }
            if let size = try leaf.int("cache_size", in: 1...1_000_000) { configuration.leafCacheSize = size }
        }
        if var dns = try reader.mapping("dns") {
            try dns.allowOnly(["snooping", "queue", "queue_bypass", "minimum_ttl_s", "refresh_minutes"])
            if let minutes = try dns.int("refresh_minutes", in: 1...1_440) { configuration.dns.refreshMinutes = minutes }
            if let snooping = try dns.bool("snooping") { configuration.dns.snooping = snooping }
            if let queue = try dns.int("queue", in: 0...65_535) { configuration.dns.queue = UInt16(queue) }
            if let bypass = try dns.bool("queue_bypass") { configuration.dns.queueBypass = bypass }
            if let ttl = try dns.int("minimum_ttl_s", in: 1...86_400) { configuration.dns.minimumTTL = UInt32(ttl) }
        }
        if var identity = try reader.mapping("identity") {
            try identity.allowOnly(["control_socket", "issuers", "issuer_ca_bundle"])
            configuration.identity.controlSocket = try identity.string("control_socket") ?? configuration.identity.controlSocket
            configuration.identity.issuerCABundle = try identity.string("issuer_ca_bundle")
            for item in identity.node["issuers"]?.sequence ?? [] {
                var entry = MappingReader(file: identity.file, node: item)
                try entry.allowOnly(["issuer", "audience", "groups_claim", "client_id", "device_flow", "scope"])
                guard let issuer = try entry.string("issuer"), issuer.hasPrefix("https://") else {
                    throw entry.invalid("issuer", expected: "the issuer's https URL, exactly as in its tokens' iss claim")
                }
                guard let audience = try entry.string("audience") else {
                    throw entry.invalid("audience", expected: "the audience (client id) tokens must carry")
                }
                var configured = ChaperoneConfiguration.IdentityOptions.Issuer(issuer: issuer, audience: audience)
                configured.groupsClaim = try entry.string("groups_claim") ?? configured.groupsClaim
                configured.clientID = try entry.string("client_id")
                configured.deviceFlow = try entry.bool("device_flow") ?? configured.deviceFlow
                if let scope = try entry.string("scope") {
                    guard scope.split(separator: " ").contains("openid") else {
                        throw entry.invalid("scope", expected: "space-separated scopes that include openid (for the ID token)")
                    }
                    configured.scope = scope
                }
                configuration.identity.issuers.append(configured)
            }
        }
        if var audit = try reader.mapping("audit") {
            try audit.allowOnly([
                "enabled", "path", "signing_key", "checkpoint_every", "checkpoint_interval_s", "retention_days",
                "max_body_kb", "group_commit_ms", "sinks",
            ])
            if let enabled = try audit.bool("enabled") { configuration.audit.enabled = enabled }
            configuration.audit.path = try audit.string("path")
            configuration.audit.signingKey = try audit.string("signing_key")
            if let every = try audit.int("checkpoint_every", in: 1...1_000_000) { configuration.audit.checkpointEvery = every }
            if let seconds = try audit.int("checkpoint_interval_s", in: 1...86_400) {
                configuration.audit.checkpointIntervalSeconds = seconds
            }
            if let days = try audit.int("retention_days", in: 0...36_500) { configuration.audit.retentionDays = days }
            if let kb = try audit.int("max_body_kb", in: 0...65_536) { configuration.audit.maxBodyBytes = kb * 1_024 }
            if let ms = try audit.int("group_commit_ms", in: 0...1_000) { configuration.audit.groupCommitMilliseconds = ms }
            if let sinks = audit.node["sinks"] {
                guard sinks.sequence != nil else { throw audit.invalid("sinks", expected: "a list of sinks") }
                configuration.audit.sinksYAML = try? Yams.serialize(node: sinks)
            }
        }
        if var policy = try reader.mapping("policy") {
            try policy.allowOnly(["approval_webhook", "reload_check_s"])
            if let url = try policy.string("approval_webhook") {
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw policy.invalid("approval_webhook", expected: "an http:// or https:// URL")
                }
                configuration.policy.approvalWebhook = url
            }
            if let seconds = try policy.int("reload_check_s", in: 1...3_600) { configuration.policy.reloadCheckSeconds = seconds }
        }
        if var decoding = try reader.mapping("decoding") {
            try decoding.allowOnly(["max_body_mb", "max_ratio"])
            if let mb = try decoding.int("max_body_mb", in: 1...4_096) { configuration.decoding.maxBodyBytes = mb * 1_024 * 1_024 }
            if let ratio = try decoding.int("max_ratio", in: 10...1_000_000) { configuration.decoding.maxRatio = ratio }
        }
        configuration.exemptUser = try reader.string("exempt_user") ?? configuration.exemptUser
        if let noSNI = try reader.string("no_sni") {
            guard let action = ChaperoneConfiguration.NoSNIAction(rawValue: noSNI) else {
                throw reader.invalid("no_sni", expected: "splice or reject")
            }
            configuration.noSNI = action
        }
        return configuration
    }

    /// Loads the provider list from `DIR/providers.yaml`.
    ///
    /// - Throws: ``ConfigurationError``.
    public static func loadProviders(rulesDirectory: URL) throws(ConfigurationError) -> ProviderCatalog {
        let path = rulesDirectory.appendingPathComponent("providers.yaml").path
        let document = try mapping(in: path)
        var reader = MappingReader(file: path, node: document)
        try reader.allowOnly(["providers"])
        guard let list = reader.node["providers"]?.sequence else {
            throw reader.invalid("providers", expected: "a list of providers")
        }
        var providers: [Provider] = []
        for item in list {
            guard item.mapping != nil else {
                throw ConfigurationError(.invalidValue, "\(path):\(item.mark.map { "\($0.line)" } ?? "?"): each provider is a mapping with name, wire_format and hosts")
            }
            var entry = MappingReader(file: path, node: item)
            try entry.allowOnly(["name", "wire_format", "hosts"])
            guard let name = try entry.string("name") else { throw entry.invalid("name", expected: "a provider name") }
            guard let format = try entry.string("wire_format").flatMap(WireFormat.init(rawValue:)) else {
                throw entry.invalid(
                    "wire_format", expected: WireFormat.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let hosts = try entry.strings("hosts"), !hosts.isEmpty else {
                throw entry.invalid("hosts", expected: "a non-empty list of host names or *.suffix patterns")
            }
            providers.append(Provider(name: name, wireFormat: format, hosts: hosts.map(HostPattern.init)))
        }
        return ProviderCatalog(providers: providers)
    }

    private static func mapping(in path: String) throws(ConfigurationError) -> Node {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(.unreadable, "cannot read \(path): \(error.localizedDescription)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(.syntax, "\(path): not valid YAML: \(error)")
        }
        guard let node else { return Node.mapping(Node.Mapping([])) }
        guard node.mapping != nil else {
            throw ConfigurationError(.syntax, "\(path): the top level must be a mapping of keys to values")
        }
        return node
    }
}

/// Typed access to one YAML mapping with errors that carry file and line.
struct MappingReader {
    let file: String
    let node: Node

    func location(_ key: String) -> String {
        let mark = node[key].flatMap(\.mark) ?? node.mark
        return "\(file):\(mark.map { String($0.line) } ?? "?")"
    }

    func invalid(_ key: String, expected: String) -> ConfigurationError {
        ConfigurationError(.invalidValue, "\(location(key)): '\(key)' must be \(expected)")
    }

    mutating func allowOnly(_ keys: Set<String>) throws(ConfigurationError) {
        for (key, _) in node.mapping ?? [:] {
            guard let name = key.string, keys.contains(name) else {
                let line = key.mark.map { String($0.line) } ?? "?"
                throw ConfigurationError(
                    .unknownKey,
                    "\(file):\(line): unknown key '\(key.string ?? "?")'; expected one of: \(keys.sorted().joined(separator: ", "))"
                )
            }
        }
    }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = node[key], value != .scalar(.init("null")) else { return nil }
        guard let string = value.string else { throw invalid(key, expected: "a string") }
        return string
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = node[key] else { return nil }
        guard let int = value.int, range.contains(int) else {
            throw invalid(key, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }

    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = node[key] else { return nil }
        guard let bool = value.bool else { throw invalid(key, expected: "true or false") }
        return bool
    }

    func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = node[key] else { return nil }
        guard let list = value.sequence else { throw invalid(key, expected: "a list of strings") }
        var strings: [String] = []
        for item in list {
            guard let string = item.string else { throw invalid(key, expected: "a list of strings") }
            strings.append(string)
        }
        return strings
    }

    func mapping(_ key: String) throws(ConfigurationError) -> MappingReader? {
        guard let value = node[key] else { return nil }
        guard value.mapping != nil else { throw invalid(key, expected: "a mapping") }
        return MappingReader(file: file, node: value)
    }
}
