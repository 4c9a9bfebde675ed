import Foundation
import Policy
import Testing

@Suite("Grants and the ticket flow")
struct GrantTests {
    typealias F = Fixture

    @Test func ticketApprovalGrantsRetriesUntilExpiry() async throws {
        let policy = F.policy
        let approvals = ApprovalBook()
        let grants = GrantBook()
        let request = F.request(F.alice, "openai", "/v1/fine_tuning/jobs", model: "gpt-4o-mini")

        let first = policy.decide(request, grants: grants.active(for: F.alice, now: F.now), now: F.now)
        #expect(first.outcome == .ticket)
        let rule = try #require(first.approvalRule)
        let ticket = await approvals.request(for: request, rule: rule, exchange: "ex-7", now: F.now)

        let approvedAt = F.now.addingTimeInterval(120)
        let outcome = try await approvals.approve(
            ticket.id,
            approver: F.sam,
            reason: "quarterly model refresh",
            now: approvedAt
        )
        let grant = try #require(outcome.grant)
        #expect(grant.subject == "oidc|alice")
        #expect(grant.provider == "openai")
        #expect(grant.approvalRule == "fine-tuning-ticket")
        #expect(grant.expires == approvedAt.addingTimeInterval(30 * 60))
        #expect(grant.createdBy == "sam@example.com")
        grants.insert(grant)

        let retryAt = approvedAt.addingTimeInterval(60)
        let retry = policy.decide(request, grants: grants.active(for: F.alice, now: retryAt), now: retryAt)
        #expect(retry.outcome == .allowUnderGrant(grant.id))
        #expect(retry.matchedRules == ["approval:fine-tuning-ticket", "grant:\(grant.id)"])

        // The grant is scoped to the rule and provider: another provider still needs a ticket.
        let azure = F.request(F.alice, "azure-openai", "/openai/fine_tuning/jobs")
        #expect(
            policy.decide(azure, grants: grants.active(for: F.alice, now: retryAt), now: retryAt).outcome
                == .ticket
        )
        // Someone else gets nothing from Alice's grant.
        let dana = F.request(F.dana, "openai", "/v1/fine_tuning/jobs")
        #expect(policy.decide(dana, grants: grants.list(now: retryAt), now: retryAt).outcome == .ticket)

        let later = approvedAt.addingTimeInterval(30 * 60)
        #expect(grants.sweep(now: later).map(\.id) == [grant.id])
        let afterExpiry = policy.decide(request, grants: grants.active(for: F.alice, now: later), now: later)
        #expect(afterExpiry.outcome == .ticket)
        // Even if the caller passes a stale list, decide ignores expired grants.
        #expect(policy.decide(request, grants: [grant], now: later).outcome == .ticket)
    }

    @Test func accessGrantLetsAMissingProviderThrough() async {
        let grants = GrantBook()
        let request = F.request(
            F.alice,
            "gemini",
            "/v1beta/models/gemini-2.0-flash:generateContent",
            model: "gemini-2.0-flash"
        )
        let denied = F.policy.decide(request, grants: [], now: F.now)
        #expect(denied.outcome == .deny)
        #expect(
            denied.reason.contains("group engineering may use providers openai, anthropic, github-copilot; not gemini")
        )
        #expect(
            denied.reason.contains(
                "ask an admin: chaperone grant alice@example.com --provider gemini --model gemini-2.0-flash --endpoint chat --for 1h"
            )
        )

        let grant = grants.create(
            subject: "alice@example.com",
            provider: "gemini",
            model: "gemini-2.0-*",
            duration: 3600,
            reason: "INC-42 evaluation",
            createdBy: "admin@example.com",
            now: F.now
        )
        #expect(grant.id.hasPrefix("grt-"))
        let allowed = F.policy.decide(request, grants: grants.active(for: F.alice, now: F.now), now: F.now)
        #expect(allowed.outcome == .allowUnderGrant(grant.id))
        #expect(allowed.reason.contains("INC-42 evaluation"))

        let otherModel = F.request(
            F.alice,
            "gemini",
            "/v1beta/models/gemini-1.5-pro:generateContent",
            model: "gemini-1.5-pro"
        )
        #expect(F.policy.decide(otherModel, grants: [grant], now: F.now).outcome == .deny)

        #expect(grants.revoke(grant.id) == grant)
        #expect(grants.revoke(grant.id) == nil)
        #expect(grants.active(for: F.alice, now: F.now).isEmpty)
    }

    @Test func grantsForLocalAccountsMatchTheAccountName() {
        let grant = Grant(
            id: "grt-AAAAAA",
            subject: "bob",
            created: F.now,
            expires: F.now.addingTimeInterval(60),
            reason: "r",
            createdBy: "a"
        )
        #expect(grant.applies(to: F.bob))
        #expect(!grant.applies(to: F.alice))
    }

    @Test func persistenceRoundTrip() async throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("grants.json")
        let book = GrantBook()
        let a = book.create(
            subject: "oidc|alice",
            provider: "openai",
            model: "gpt-4o*",
            endpoint: .fineTuning,
            approvalRule: "fine-tuning-ticket",
            duration: 1800,
            reason: "approval apr-7KQ2M9: refresh",
            createdBy: "sam@example.com",
            now: F.now
        )
        let b = book.create(subject: "bob", duration: 60, reason: "demo", createdBy: "admin", now: F.now)
        try book.save(to: file)

        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let restored = GrantBook()
        try restored.load(from: file)
        #expect(restored.list(now: F.now) == [b, a])
        // Expired grants survive the restart until the sweep reports them.
        #expect(restored.sweep(now: F.now.addingTimeInterval(120)) == [b])

        let missing = GrantBook(grants: [a])
        try missing.load(from: directory.appendingPathComponent("none.json"))
        #expect(missing.list(now: F.now).isEmpty)

        try "not json".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: GrantStoreError.self) { try restored.load(from: file) }
    }
}
