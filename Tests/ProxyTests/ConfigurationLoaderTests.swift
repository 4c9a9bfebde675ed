import Foundation
import Identity
import Testing

@testable import Proxy

@Suite("Configuration loading")
struct ConfigurationLoaderTests {
    func write(_ text: String, to directory: TemporaryDirectory, name: String = "chaperone.yaml") throws -> String {
        let path = directory.url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("no file gives working defaults")
    func defaults() throws {
        let configuration = try ConfigurationLoader.load(path: nil)
        #expect(configuration.listen.port == 15443)
        #expect(configuration.effectiveCADirectory.path == "/var/lib/chaperone/ca")
        #expect(configuration.noSNI == .splice)
    }

    @Test("every documented key is read")
    func allKeys() throws {
        let directory = try TemporaryDirectory()
        let path = try write(
            """
            listen: {port: 16000, addresses: ["127.0.0.1"]}
            ca_dir: /x/ca
            state_dir: /x/state
            rules_dir: /x/rules
            intercept_hosts: [llm.example]
            upstream: {trust_bundle: /x/b.pem, connect_timeout_ms: 1500, max_idle_per_host: 2, idle_timeout_ms: 5000}
            timeouts: {client_hello_ms: 900, idle_ms: 60000}
            leaf: {lifetime_hours: 12, cache_size: 10}
            exempt_user: svc
            no_sni: reject
            decoding: {max_body_mb: 8, max_ratio: 200}
            """, to: directory)
        let c = try ConfigurationLoader.load(path: path)
        #expect(c.listen.port == 16000 && c.listen.addresses == ["127.0.0.1"])
        #expect(c.effectiveCADirectory.path == "/x/ca" && c.stateDirectory == "/x/state")
        #expect(c.effectiveRulesDirectory.path == "/x/rules" && c.interceptHosts == ["llm.example"])
        #expect(c.upstream.trustBundle == "/x/b.pem" && c.upstream.connectTimeout == .milliseconds(1500))
        #expect(c.upstream.maxIdlePerHost == 2 && c.upstream.idleTimeout == .milliseconds(5000))
        #expect(c.timeouts.clientHello == .milliseconds(900) && c.timeouts.idle == .milliseconds(60000))
        #expect(c.leafLifetime == 12 * 3600 && c.leafCacheSize == 10)
        #expect(c.exemptUser == "svc" && c.noSNI == .reject)
        #expect(c.decoding.maxBodyBytes == 8 * 1_024 * 1_024 && c.decoding.maxRatio == 200)
    }

    @Test("a misspelt key is refused with its line and the keys that exist")
    func unknownKey() throws {
        let directory = try TemporaryDirectory()
        let path = try write("state_dir: /x\nlisten:\n  prot: 1\n", to: directory)
        do {
            _ = try ConfigurationLoader.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownKey)
            #expect(error.message.contains(":3:"))
            #expect(error.message.contains("'prot'"))
            #expect(error.message.contains("port"))
        }
    }

    @Test("an out-of-range value names the key and the range")
    func invalidValue() throws {
        let directory = try TemporaryDirectory()
        let path = try write("listen: {port: 70000}\n", to: directory)
        #expect(throws: ConfigurationError(.invalidValue, "")) { try ConfigurationLoader.load(path: path) }
        let broken = try write("listen: [\n", to: directory, name: "broken.yaml")
        #expect(throws: ConfigurationError(.syntax, "")) { try ConfigurationLoader.load(path: broken) }
    }

    @Test("identity issuers: client_id, device_flow and scope, with their defaults")
    func identityIssuers() throws {
        let directory = try TemporaryDirectory()
        let path = try write(
            """
            identity:
              issuer_ca_bundle: /etc/ssl/corp.pem
              issuers:
                - issuer: https://login.example.com/realms/dev
                  audience: chaperone
                  client_id: chaperone-cli
                  scope: openid email offline_access
                - {issuer: "https://token.actions.githubusercontent.com", audience: chaperone, device_flow: false}
            """, to: directory)
        let identity = try ConfigurationLoader.load(path: path).identity
        #expect(identity.issuers.map(\.clientID) == ["chaperone-cli", nil])
        #expect(identity.issuers.map(\.deviceFlow) == [true, false])
        #expect(identity.issuers.map(\.scope) == ["openid email offline_access", nil])
        #expect(identity.trustedIssuers.map(\.oauthClientID) == ["chaperone-cli", "chaperone"])
        let offer = identity.loginIssuers
        #expect(offer.caBundle == "/etc/ssl/corp.pem")
        #expect(try offer.choose(nil).issuer == "https://login.example.com/realms/dev")
        #expect(offer.issuers.map(\.clientID) == ["chaperone-cli", "chaperone"])

        let noOpenID = try write(
            "identity:\n  issuers:\n    - {issuer: \"https://x.example\", audience: a, scope: email}\n", to: directory, name: "bad.yaml")
        #expect(throws: ConfigurationError(.invalidValue, "")) { try ConfigurationLoader.load(path: noOpenID) }
        let notBool = try write(
            "identity:\n  issuers:\n    - {issuer: \"https://x.example\", audience: a, device_flow: maybe}\n", to: directory, name: "bad2.yaml")
        #expect(throws: ConfigurationError(.invalidValue, "")) { try ConfigurationLoader.load(path: notBool) }
    }

    @Test("the shipped providers.yaml loads and intercepts the providers the product promises")
    func shippedProviders() throws {
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Rules")
        let catalog = try ConfigurationLoader.loadProviders(rulesDirectory: rules.standardized)
        for host in ["api.openai.com", "api.anthropic.com", "api.githubcopilot.com", "acme.openai.azure.com",
            "generativelanguage.googleapis.com", "api.mistral.ai", "bedrock-runtime.eu-west-1.amazonaws.com"]
        {
            #expect(catalog.provider(for: host) != nil, "\(host) must be intercepted")
        }
        #expect(catalog.provider(for: "api.anthropic.com")?.wireFormat == .anthropic)
        #expect(catalog.provider(for: "github.com") == nil)
    }
}
