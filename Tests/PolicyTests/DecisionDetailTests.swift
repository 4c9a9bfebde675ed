import Foundation
import Policy
import Testing

@Suite("Defaults, masking, explain and JSON")
struct DecisionDetailTests {
    typealias F = Fixture

    static func policy(_ text: String) throws -> Policy {
        try Policy(files: [PolicyFile(name: "policy.yaml", text: text)])
    }

    @Test func unauthenticatedAsAGroup() throws {
        let policy = try Self.policy(
            "version: 1\ndefaults:\n  unauthenticated: group:guests\ngroups:\n  guests: {providers: [openai], endpoints: [chat]}\n"
        )
        let decision = policy.decide(F.request(F.bob, "openai", "/v1/chat/completions"), grants: [], now: F.now)
        #expect(decision.outcome == .allow)
        #expect(decision.matchedRules == ["group:guests"])
        #expect(decision.groups == ["guests"])
    }

    @Test func unauthenticatedAllowStillHonoursDenyRules() throws {
        let policy = try Self.policy(
            "version: 1\ndefaults:\n  unauthenticated: allow\ndeny:\n  - name: no-images\n    when: {endpoints: [images]}\n"
        )
        #expect(
            policy.decide(F.request(F.bob, "gemini", "/v1beta/models/x:generateContent"), grants: [], now: F.now)
                .outcome == .allow
        )
        #expect(
            policy.decide(F.request(F.bob, "openai", "/v1/images/generations"), grants: [], now: F.now).outcome == .deny
        )
    }

    @Test func unauthenticatedDenyTellsTheUserToLogIn() {
        let decision = F.policy.decide(F.request(F.bob, "openai", "/v1/chat/completions"), grants: [], now: F.now)
        #expect(decision.reason.contains("Run `chaperone login` first"))
    }

    @Test func failOpenSkipsRulesThatNeedTheBody() throws {
        let text = F.policyText.replacingOccurrences(of: "on_uninspectable: deny", with: "on_uninspectable: allow")
        let policy = try Self.policy(text)
        let request = F.request(F.alice, "openai", "/v1/chat/completions", inspected: false, bytes: 5_000_000)
        let decision = policy.decide(request, grants: [], now: F.now)
        #expect(decision.outcome == .allow)
        #expect(decision.matchedRules == ["group:engineering", "defaults.on_uninspectable"])
        #expect(decision.trace.contains { $0.rule == "deny:no-codenames" && $0.result == .unknown })
    }

    @Test func failClosedNamesTheLimit() {
        let request = F.request(F.alice, "openai", "/v1/chat/completions", inspected: false, bytes: 5_000_000)
        let decision = F.policy.decide(request, grants: [], now: F.now)
        #expect(decision.outcome == .deny)
        #expect(decision.reason.contains("larger than 1024 KB"))
        #expect(decision.reason.contains("rule 'no-codenames' needs its prompt"))
    }

    @Test func maskingRuleSetFollowsGroups() {
        #expect(F.policy.maskingRuleSet(for: F.dana) == "strict")
        #expect(F.policy.maskingRuleSet(for: F.alice) == "default")
        #expect(
            F.policy.decide(F.request(F.dana, "openai", "/v1/models"), grants: [], now: F.now).maskingRuleSet
                == "strict"
        )
    }

    @Test func needsBodyOnlyWhenARuleLooksInside() throws {
        #expect(F.policy.needsBody)
        let headersOnly = try Self.policy("version: 1\ngroups:\n  g: {providers: [openai], endpoints: [chat]}\n")
        #expect(!headersOnly.needsBody)
        #expect(headersOnly.inspectLimitBytes == 1024 * 1024)
    }

    @Test func explainListsEveryStep() {
        let request = F.request(F.job, "openai", "/v1/fine_tuning/jobs", model: "gpt-4o-mini")
        let text = F.policy.explain(request, grants: [], now: F.now)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "decision:  deny (deny:no-fine-tuning-from-ci)")
        #expect(lines[1] == "reason:    CI jobs may not start fine-tuning jobs.")
        #expect(
            lines[2] == "request:   POST api.openai.com/v1/fine_tuning/jobs → openai fine-tuning, model gpt-4o-mini"
        )
        #expect(lines[3] == "principal: repo:acme/app:ref:refs/heads/main (github-actions), groups: ci")
        #expect(text.contains("steps:\n  1. authentication  source:github-actions"))
        #expect(
            lines.last?.contains("deny:no-fine-tuning-from-ci  matched  endpoint fine-tuning, source github-actions")
                == true
        )
    }

    @Test func decisionEncodesForJSON() throws {
        let request = F.request(
            F.alice,
            "openai",
            "/v1/chat/completions",
            model: "gpt-4o",
            entities: ["private_key": 1]
        )
        let decision = F.policy.decide(request, grants: [], now: F.now)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(String(data: encoder.encode(decision), encoding: .utf8))
        #expect(json.contains("\"outcome\":\"hold\""))
        #expect(json.contains("\"matched_rules\":[\"approval:secrets-in-prompt\"]"))
        #expect(json.contains("\"approval_rule\":{"))
        #expect(json.contains("\"timeout_seconds\":300"))
        #expect(json.contains("\"policy_hash\":\"\(F.policy.hash)\""))
        #expect(json.contains("\"result\":\"not-matched\""))
    }

    @Test func unlessExemptsAndIsTraced() {
        let request = F.request(F.sam, "openai", "/v1/files")
        let decision = F.policy.decide(request, grants: [], now: F.now)
        let step = decision.trace.first { $0.rule == "approval:fine-tuning-ticket" }
        #expect(step?.result == .notMatched)
        #expect(step?.detail == "exempt (unless: group security)")
    }

    @Test func globsAndDurations() {
        #expect(Glob("gpt-4o*").matches("GPT-4o-mini"))
        #expect(Glob("claude-?-haiku").matches("claude-3-haiku"))
        #expect(!Glob("gpt-4o").matches("gpt-4o-mini"))
        #expect(Glob("*").matches(""))
    }

    @Test func durationsCombineUnits() throws {
        let policy = try Self.policy(
            "version: 1\ngroups:\n  s: {}\napprovals:\n  - name: t\n    when: {tools: true}\n    mode: ticket\n    approvers: [s]\n    timeout: 1h30m\n    grant_for: 2d\n"
        )
        #expect(policy.document.approvals.first?.timeout == 5400)
        #expect(policy.document.approvals.first?.grantFor == 172_800)
    }
}
