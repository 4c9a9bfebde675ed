import Foundation
import Policy
import Testing

/// One row: who sends what, and what the policy must answer.
struct DecisionRow: Sendable, CustomTestStringConvertible {
    let label: String
    let request: PolicyRequest
    let grants: [Grant]
    let outcome: String
    let rule: String

    init(_ label: String, _ request: PolicyRequest, grants: [Grant] = [], _ outcome: String, _ rule: String) {
        self.label = label
        self.request = request
        self.grants = grants
        self.outcome = outcome
        self.rule = rule
    }

    var testDescription: String { label }
}

@Suite("Decision table")
struct DecisionTableTests {
    typealias F = Fixture

    static func grant(
        _ subject: String,
        provider: String? = nil,
        rule: String? = nil,
        endpoint: Endpoint? = nil,
        expiresIn: TimeInterval = 3600
    ) -> Grant {
        Grant(
            id: "grt-TEST01",
            subject: subject,
            provider: provider,
            endpoint: endpoint,
            approvalRule: rule,
            created: F.now,
            expires: F.now.addingTimeInterval(expiresIn),
            reason: "INC-42",
            createdBy: "sam@example.com"
        )
    }

    static let rows: [DecisionRow] = [
        DecisionRow(
            "engineer, openai chat, allowed model",
            F.request(F.alice, "openai", "/v1/chat/completions", model: "gpt-4o"),
            "allow",
            "group:engineering"
        ),
        DecisionRow(
            "engineer, anthropic messages",
            F.request(F.alice, "anthropic", "/v1/messages", model: "claude-sonnet-4-20250514"),
            "allow",
            "group:engineering"
        ),
        DecisionRow(
            "engineer, copilot chat",
            F.request(F.alice, "github-copilot", "/chat/completions", model: "gpt-4o"),
            "allow",
            "group:engineering"
        ),
        DecisionRow(
            "engineer, model listing without a model",
            F.request(F.alice, "openai", "/v1/models", method: "GET"),
            "allow",
            "group:engineering"
        ),
        DecisionRow(
            "engineer, provider not in group",
            F.request(F.alice, "gemini", "/v1beta/models/gemini-2.0-flash:generateContent", model: "gemini-2.0-flash"),
            "deny",
            "access"
        ),
        DecisionRow(
            "engineer, model not in group",
            F.request(F.alice, "openai", "/v1/chat/completions", model: "gpt-3.5-turbo"),
            "deny",
            "access"
        ),
        DecisionRow(
            "engineer, endpoint not in group",
            F.request(F.alice, "openai", "/v1/images/generations", model: "gpt-4o"),
            "deny",
            "access"
        ),
        DecisionRow(
            "engineer, AWS key in prompt → hold",
            F.request(F.alice, "openai", "/v1/chat/completions", model: "gpt-4o", entities: ["AWS_ACCESS_KEY": 1]),
            "hold",
            "approval:secrets-in-prompt"
        ),
        DecisionRow(
            "engineer, fine-tuning → ticket",
            F.request(F.alice, "openai", "/v1/fine_tuning/jobs", model: "gpt-4o-mini"),
            "ticket",
            "approval:fine-tuning-ticket"
        ),
        DecisionRow(
            "engineer, ticket grant for the rule",
            F.request(F.alice, "openai", "/v1/fine_tuning/jobs", model: "gpt-4o-mini"),
            grants: [grant("oidc|alice", provider: "openai", rule: "fine-tuning-ticket")],
            "allow-under-grant",
            "approval:fine-tuning-ticket"
        ),
        DecisionRow(
            "engineer, expired ticket grant",
            F.request(F.alice, "openai", "/v1/fine_tuning/jobs"),
            grants: [grant("oidc|alice", rule: "fine-tuning-ticket", expiresIn: -1)],
            "ticket",
            "approval:fine-tuning-ticket"
        ),
        DecisionRow(
            "engineer, access grant does not satisfy an approval rule",
            F.request(F.alice, "openai", "/v1/files"),
            grants: [grant("oidc|alice")],
            "ticket",
            "approval:fine-tuning-ticket"
        ),
        DecisionRow(
            "engineer, access grant by email for gemini",
            F.request(F.alice, "gemini", "/v1beta/models/gemini-2.0-flash:generateContent"),
            grants: [grant("alice@example.com", provider: "gemini")],
            "allow-under-grant",
            "grant:grt-TEST01"
        ),
        DecisionRow(
            "engineer, grant for another provider",
            F.request(F.alice, "gemini", "/v1beta/models/gemini-2.0-flash:generateContent"),
            grants: [grant("oidc|alice", provider: "mistral")],
            "deny",
            "access"
        ),
        DecisionRow(
            "engineer, grant never beats a deny rule",
            F.request(F.alice, "gemini", "/v1beta/models/g:generateContent", text: "Project  Nightingale roadmap"),
            grants: [grant("oidc|alice")],
            "deny",
            "deny:no-codenames"
        ),
        DecisionRow(
            "engineer, large embeddings → ticket",
            F.request(F.alice, "openai", "/v1/embeddings", model: "gpt-4o", bytes: 600 * 1024),
            "ticket",
            "approval:big-embeddings"
        ),
        DecisionRow(
            "engineer, uninspected body, deny rule needs prompt",
            F.request(F.alice, "openai", "/v1/chat/completions", inspected: false, bytes: 2_000_000),
            "deny",
            "deny:no-codenames"
        ),
        DecisionRow(
            "security, files skip the ticket but group lacks the endpoint",
            F.request(F.sam, "openai", "/v1/files"),
            "deny",
            "access"
        ),
        DecisionRow(
            "security, private key in prompt → hold",
            F.request(F.sam, "openai", "/v1/chat/completions", model: "gpt-4o", entities: ["private_key": 2]),
            "hold",
            "approval:secrets-in-prompt"
        ),
        DecisionRow(
            "data science, gemini any model",
            F.request(F.dana, "gemini", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", model: "gemini-2.5-pro"),
            "allow",
            "group:data-science"
        ),
        DecisionRow(
            "data science, any endpoint of its providers",
            F.request(F.dana, "openai", "/v1/audio/transcriptions", model: "whisper-1"),
            "allow",
            "group:data-science"
        ),
        DecisionRow(
            "data science, provider outside the group",
            F.request(F.dana, "mistral", "/v1/chat/completions", model: "mistral-large"),
            "deny",
            "access"
        ),
        DecisionRow(
            "CI job, fine-tuning denied outright",
            F.request(F.job, "openai", "/v1/fine_tuning/jobs", model: "gpt-4o-mini"),
            "deny",
            "deny:no-fine-tuning-from-ci"
        ),
        DecisionRow(
            "CI job, embeddings via sources mapping",
            F.request(F.job, "openai", "/v1/embeddings", model: "text-embedding-3-small"),
            "allow",
            "group:ci"
        ),
        DecisionRow(
            "CI job, anthropic not allowed",
            F.request(F.job, "anthropic", "/v1/messages", model: "claude-3-5-haiku"),
            "deny",
            "access"
        ),
        DecisionRow(
            "CI runner account via unix_users",
            F.request(F.runner, "openai", "/v1/embeddings", model: "text-embedding-3-small"),
            "allow",
            "group:ci"
        ),
        DecisionRow(
            "unmapped local account",
            F.request(F.bob, "openai", "/v1/chat/completions", model: "gpt-4o"),
            "deny",
            "defaults.unauthenticated"
        ),
        DecisionRow(
            "contractor using tools",
            F.request(F.carl, "openai", "/v1/chat/completions", model: "gpt-4o", tools: true),
            "deny",
            "deny:contractors-no-tools"
        ),
        DecisionRow(
            "contractor without tools, via engineering",
            F.request(F.carl, "openai", "/v1/chat/completions", model: "gpt-4o"),
            "allow",
            "group:engineering"
        ),
        DecisionRow(
            "codename in prompt",
            F.request(
                F.alice,
                "openai",
                "/v1/chat/completions",
                model: "gpt-4o",
                text: "Summarise the PROJECT NIGHTINGALE plan"
            ),
            "deny",
            "deny:no-codenames"
        ),
        DecisionRow(
            "principal in an undefined group only",
            F.request(F.nobody, "openai", "/v1/chat/completions", model: "gpt-4o"),
            "deny",
            "access"
        ),
    ]

    @Test("outcome and matched rule", arguments: rows)
    func row(_ row: DecisionRow) {
        let decision = Fixture.policy.decide(row.request, grants: row.grants, now: Fixture.now)
        #expect(decision.outcome.name == row.outcome, "\(row.label): \(decision.reason)")
        #expect(decision.matchedRules.first == row.rule, "\(row.label): \(decision.matchedRules)")
        #expect(!decision.trace.isEmpty)
        #expect(decision.policyHash == Fixture.policy.hash)
    }

    @Test func tableIsLargeEnough() {
        #expect(Self.rows.count >= 25)
    }
}
