import Foundation
import Policy
import Testing

@Suite("Loading, the shipped policy and the policy hash")
struct PolicyLoadingTests {
    @Test func shippedPolicyLoads() throws {
        let policy = try Policy.load(directory: Fixture.rulesDirectory)
        #expect(policy.files.map(\.name) == ["policy.yaml"])
        #expect(policy.hash.count == 64)
        #expect(policy.document.defaults.unauthenticated == .deny)
        #expect(policy.document.defaults.onUninspectable == .deny)
        #expect(policy.needsBody)
        #expect(
            Set(policy.document.groups.map(\.name)).isSuperset(of: ["engineering", "data-science", "ci", "security"])
        )
    }

    @Test func shippedPolicyDecidesSensibly() throws {
        let policy = try Policy.load(directory: Fixture.rulesDirectory)
        let f = Fixture.self
        func outcome(_ request: PolicyRequest) -> String {
            let decision = policy.decide(request, grants: [], now: f.now)
            return "\(decision.outcome.name) \(decision.matchedRules.first ?? "")"
        }
        #expect(
            outcome(f.request(f.alice, "openai", "/v1/chat/completions", model: "gpt-4o")) == "allow group:engineering"
        )
        #expect(outcome(f.request(f.job, "openai", "/v1/fine_tuning/jobs")) == "deny deny:no-fine-tuning-from-ci")
        #expect(
            outcome(f.request(f.runner, "openai", "/v1/embeddings", model: "text-embedding-3-small"))
                == "allow group:ci"
        )
        #expect(outcome(f.request(f.bob, "openai", "/v1/chat/completions")) == "deny defaults.unauthenticated")
        #expect(
            outcome(
                f.request(f.alice, "anthropic", "/v1/messages", model: "claude-sonnet-4", entities: ["PRIVATE_KEY": 1])
            )
                == "hold approval:credentials-in-prompt"
        )
        #expect(
            outcome(f.request(f.dana, "openai", "/v1/fine_tuning/jobs")) == "ticket approval:bulk-data-needs-ticket"
        )
        #expect(
            outcome(f.request(f.job, "openai", "/v1/chat/completions", entities: ["aws_access_key": 1]))
                == "deny deny:no-credentials-from-ci"
        )
    }

    @Test func hashIsStableAndFollowsTheFiles() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = "version: 1\ngroups:\n  g: {providers: [openai]}\n"
        try text.write(to: directory.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let first = try Policy.load(directory: directory)
        let again = try Policy.load(directory: directory)
        #expect(first.hash == again.hash)
        // name, NUL, content, NUL — computed independently with sha256sum:
        // printf 'policy.yaml\0version: 1\ngroups:\n  g: {providers: [openai]}\n\0' | sha256sum
        #expect(first.hash == "60d39ae4ebb77ad8a124f6805104e3d63e93e1d751c33e61d9b17a1c3a924a23")

        try (text + "# a comment changes the hash too\n").write(
            to: directory.appendingPathComponent("policy.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let edited = try Policy.load(directory: directory)
        #expect(edited.hash != first.hash)

        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("policy.d"),
            withIntermediateDirectories: true
        )
        try "deny:\n  - name: no-images\n    when: {endpoints: [images]}\n".write(
            to: directory.appendingPathComponent("policy.d/10-images.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let withFragment = try Policy.load(directory: directory)
        #expect(withFragment.hash != edited.hash)
        #expect(withFragment.files.map(\.name) == ["policy.d/10-images.yaml", "policy.yaml"])
        #expect(withFragment.document.deny.map(\.name) == ["no-images"])
        #expect(withFragment.document.deny.first?.location == "policy.d/10-images.yaml:2:5")
    }

    @Test func providersYamlSharpensProviderNames() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "version: 1\ngroups:\n  g: {providers: [open-ai]}\n".write(
            to: directory.appendingPathComponent("policy.yaml"),
            atomically: true,
            encoding: .utf8
        )
        try "providers:\n  - name: openai\n    hosts: [api.openai.com]\n".write(
            to: directory.appendingPathComponent("providers.yaml"),
            atomically: true,
            encoding: .utf8
        )
        do {
            _ = try Policy.load(directory: directory)
            Issue.record("a misspelt provider must not load")
        } catch {
            #expect(
                error.diagnostics.map(\.description) == [
                    "policy.yaml:3:19: unknown provider 'open-ai' in group 'g'; did you mean 'openai'? providers.yaml names openai"
                ]
            )
        }
    }
}
