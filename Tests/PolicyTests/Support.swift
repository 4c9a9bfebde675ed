import Foundation
import Policy

/// Principals, requests and policies shared by the tests.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    static let alice = PolicyPrincipal(
        subject: "oidc|alice",
        email: "alice@example.com",
        groups: ["engineering"],
        source: "oidc",
        attributes: ["uid": "1001"]
    )
    static let dana = PolicyPrincipal(
        subject: "oidc|dana",
        email: "dana@example.com",
        groups: ["data-science"],
        source: "oidc"
    )
    static let sam = PolicyPrincipal(
        subject: "oidc|sam",
        email: "sam@example.com",
        groups: ["security"],
        source: "oidc",
        attributes: ["uid": "1002"]
    )
    static let tess = PolicyPrincipal(
        subject: "oidc|tess",
        email: "tess@example.com",
        groups: ["security"],
        source: "oidc"
    )
    static let carl = PolicyPrincipal(subject: "oidc|carl", groups: ["contractors", "engineering"], source: "oidc")
    static let nobody = PolicyPrincipal(
        subject: "oidc|mo",
        email: "mo@example.com",
        groups: ["marketing"],
        source: "oidc"
    )
    static let job = PolicyPrincipal(
        subject: "repo:acme/app:ref:refs/heads/main",
        source: "github-actions",
        attributes: ["repository": "acme/app"]
    )
    static let runner = PolicyPrincipal(
        subject: "unix:ci-runner(1500)@build1",
        source: "unix",
        attributes: ["uid": "1500"],
        unixUser: "ci-runner"
    )
    static let bob = PolicyPrincipal(
        subject: "unix:bob(1003)@build1",
        source: "unix",
        attributes: ["uid": "1003"],
        unixUser: "bob"
    )

    static let hosts = [
        "openai": "api.openai.com", "anthropic": "api.anthropic.com", "gemini": "generativelanguage.googleapis.com",
        "github-copilot": "api.githubcopilot.com", "mistral": "api.mistral.ai",
    ]

    static func request(
        _ principal: PolicyPrincipal,
        _ provider: String,
        _ path: String,
        model: String? = nil,
        method: String = "POST",
        entities: [String: Int] = [:],
        tools: Bool = false,
        text: String? = nil,
        inspected: Bool = true,
        bytes: Int? = nil
    ) -> PolicyRequest {
        PolicyRequest(
            principal: principal,
            provider: provider,
            host: hosts[provider] ?? "\(provider).example",
            method: method,
            path: path,
            model: model,
            bodyBytes: bytes,
            bodyInspected: inspected,
            entities: entities,
            usesTools: tools,
            text: text
        )
    }

    /// The policy the decision table runs against.
    static let policyText = """
        version: 1
        defaults:
          unauthenticated: deny
          inspect_limit_kb: 1024
          on_uninspectable: deny
          masking: default
        unix_users:
          ci-runner: [ci]
        sources:
          github-actions: [ci]
        groups:
          engineering:
            providers: [openai, anthropic, github-copilot]
            models: ["gpt-4o*", "gpt-4.1*", "claude-*"]
            endpoints: [chat, embeddings, responses, models]
          data-science:
            providers: [openai, gemini]
            masking: strict
          ci:
            providers: [openai]
            endpoints: [embeddings, chat]
          security:
            providers: [openai]
            endpoints: [chat]
          contractors: {}
        deny:
          - name: no-fine-tuning-from-ci
            when: {sources: [github-actions, gitlab-ci], endpoints: [fine-tuning]}
            message: "CI jobs may not start fine-tuning jobs."
          - name: contractors-no-tools
            when: {groups: [contractors], tools: true}
            message: "Contractors may not use tool calling."
          - name: no-codenames
            when: {prompt: ['project\\s+nightingale']}
            message: "Prompts naming Project Nightingale are not allowed."
        approvals:
          - name: secrets-in-prompt
            when: {entities: [aws_access_key, private_key]}
            mode: hold
            approvers: [security]
            timeout: 5m
            require_justification: true
            fail: closed
          - name: fine-tuning-ticket
            when: {endpoints: [fine-tuning, files]}
            unless: {groups: [security]}
            mode: ticket
            approvers: [security]
            grant_for: 30m
          - name: big-embeddings
            when: {min_body_kb: 512, endpoints: [embeddings]}
            mode: ticket
            approvers: [security]
        """

    static let policy: Policy = {
        do {
            return try Policy(files: [PolicyFile(name: "policy.yaml", text: policyText)])
        } catch {
            fatalError("the fixture policy does not load:\n\(error)")
        }
    }()

    /// The package's Rules directory (the shipped default policy).
    static let rulesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Rules")

    /// A fresh temporary directory.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("policy-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The diagnostics of a policy that must fail to load.
    static func diagnostics(_ files: [String: String], knownProviders: Set<String>? = nil) -> [String] {
        do {
            _ = try Policy(
                files: files.map { PolicyFile(name: $0.key, text: $0.value) },
                knownProviders: knownProviders
            )
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }
}
