import Foundation
import Policy
import Testing

@Suite("Approvals")
struct ApprovalBookTests {
    typealias F = Fixture
    static let holdRule = Fixture.policy.document.approvals[0]  // secrets-in-prompt: hold, 5m, justification
    static let ticketRule = Fixture.policy.document.approvals[1]  // fine-tuning-ticket: ticket, 30m grant

    static let secretRequest = F.request(
        F.alice,
        "openai",
        "/v1/chat/completions",
        model: "gpt-4o",
        entities: ["private_key": 1]
    )

    @Test func idsAreShortAndTypable() async {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        #expect(approval.id.wholeMatch(of: /apr-[2-9A-HJKMNP-TV-Z]{6}/) != nil, "\(approval.id)")
        #expect(approval.expires == F.now.addingTimeInterval(300))
        #expect(approval.instructions.contains("chaperone approvals approve \(approval.id) --reason"))
    }

    @Test func approveByAnApprover() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        #expect(await book.list(now: F.now).map(\.id) == [approval.id])
        let outcome = try await book.approve(
            approval.id,
            approver: F.sam,
            reason: "test fixture key",
            now: F.now.addingTimeInterval(10)
        )
        #expect(outcome.approval.resolution == .approved(by: "sam@example.com", reason: "test fixture key"))
        #expect(outcome.grant == nil)  // hold: the waiting request proceeds, no grant
        #expect(await book.list(now: F.now).isEmpty)
        #expect(await book.history().map(\.id) == [approval.id])
    }

    @Test func denyByAnApprover() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        let outcome = try await book.deny(approval.id, approver: F.sam, reason: "real production key", now: F.now)
        #expect(outcome.approval.resolution == .denied(by: "sam@example.com", reason: "real production key"))
    }

    @Test func expiresAfterTheTimeout() async {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        #expect(await book.sweep(now: F.now.addingTimeInterval(299)).isEmpty)
        let expired = await book.sweep(now: F.now.addingTimeInterval(300))
        #expect(expired.map(\.id) == [approval.id])
        #expect(expired.first?.resolution == .expired)
        await #expect(throws: ApprovalError(.alreadyResolved, "")) {
            try await book.approve(approval.id, approver: F.sam, reason: "late", now: F.now.addingTimeInterval(301))
        }
    }

    @Test func listExpiresPastTimeout() async {
        let book = ApprovalBook()
        _ = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        #expect(await book.list(now: F.now.addingTimeInterval(600)).isEmpty)
        #expect(await book.history().first?.resolution == .expired)
    }

    @Test func selfApprovalIsRefused() async {
        let book = ApprovalBook()
        let request = F.request(F.sam, "openai", "/v1/chat/completions", entities: ["private_key": 1])
        let approval = await book.request(for: request, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        do {
            _ = try await book.approve(approval.id, approver: F.sam, reason: "mine", now: F.now)
            Issue.record("self-approval must be refused")
        } catch {
            #expect(error.code == .selfApproval)
            #expect(error.message.contains("nobody approves their own request: ask another member of security"))
        }
        // The same local uid under another subject is the same person.
        var alias = F.tess
        alias.attributes["uid"] = "1002"
        await #expect(throws: ApprovalError(.selfApproval, "")) {
            try await book.approve(approval.id, approver: alias, reason: "mine", now: F.now)
        }
        // Tess (another security member) may approve.
        await #expect(throws: Never.self) {
            try await book.approve(approval.id, approver: F.tess, reason: "ok", now: F.now)
        }
    }

    @Test func nonApproverIsRefusedWithTheGroups() async {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        do {
            _ = try await book.approve(approval.id, approver: F.dana, reason: "fine", now: F.now)
            Issue.record("a non-approver must be refused")
        } catch {
            #expect(error.code == .notAnApprover)
            #expect(
                error.message
                    == "dana@example.com may not decide \(approval.id): rule 'secrets-in-prompt' is approved by members of security; your groups: data-science"
            )
        }
    }

    @Test func unixApproverMappedByPolicyIsRecognised() async throws {
        let policy = try Policy(files: [
            PolicyFile(
                name: "policy.yaml",
                text: "version: 1\nunix_users:\n  secops: [security]\ngroups:\n  security: {}\n"
            )
        ])
        let secops = PolicyPrincipal(
            subject: "unix:secops(1200)@h",
            source: "unix",
            attributes: ["uid": "1200"],
            unixUser: "secops"
        )
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        await #expect(throws: ApprovalError(.notAnApprover, "")) {
            try await book.approve(approval.id, approver: secops, reason: "ok", now: F.now)
        }
        let outcome = try await book.approve(
            approval.id,
            approver: policy.resolvingGroups(of: secops),
            reason: "ok",
            now: F.now
        )
        #expect(outcome.approval.resolution?.name == "approved")
    }

    @Test func justificationRequired() async {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        for reason in [nil, "", "   "] as [String?] {
            do {
                _ = try await book.approve(approval.id, approver: F.sam, reason: reason, now: F.now)
                Issue.record("an approval without a reason must be refused")
            } catch {
                #expect(error.code == .justificationRequired)
                #expect(error.message.contains("--reason"))
            }
        }
        #expect(await book.list(now: F.now).count == 1)
    }

    @Test func doubleApprovalIsRefusedNamingWhoDecided() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        _ = try await book.approve(approval.id, approver: F.sam, reason: "ok", now: F.now)
        do {
            _ = try await book.approve(approval.id, approver: F.tess, reason: "ok too", now: F.now)
            Issue.record("a second decision must be refused")
        } catch {
            #expect(error.code == .alreadyResolved)
            #expect(error.message.contains("already approved by sam@example.com"))
        }
        await #expect(throws: ApprovalError(.alreadyResolved, "")) {
            try await book.deny(approval.id, approver: F.tess, reason: "no", now: F.now)
        }
        await #expect(throws: ApprovalError(.unknownID, "")) {
            try await book.approve("apr-NOPE22", approver: F.tess, reason: "x", now: F.now)
        }
    }

    @Test func requesterMayWithdraw() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        let outcome = try await book.deny(approval.id, approver: F.alice, reason: "sent by mistake", now: F.now)
        #expect(outcome.approval.resolution == .denied(by: "alice@example.com", reason: "sent by mistake"))
    }

    @Test func holdWaitersAreResumedOnceWithTheDecision() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        async let first = book.wait(approval.id, timeout: .seconds(30))
        async let second = book.wait(approval.id, timeout: .seconds(30))
        // Let both waiters park before deciding.
        try await Task.sleep(for: .milliseconds(50))
        _ = try await book.approve(approval.id, approver: F.sam, reason: "ok", now: F.now)
        let results = await [first, second]
        #expect(
            results == [.approved(by: "sam@example.com", reason: "ok"), .approved(by: "sam@example.com", reason: "ok")]
        )
        // Late and unknown waiters return at once.
        #expect(await book.wait(approval.id, timeout: .seconds(30)) == .approved(by: "sam@example.com", reason: "ok"))
        #expect(await book.wait("apr-UNKNWN", timeout: .seconds(30)) == .expired)
    }

    @Test func holdWaitersSeeExpiryFromSweep() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        async let waited = book.wait(approval.id, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        await book.sweep(now: F.now.addingTimeInterval(301))
        #expect(await waited == .expired)
    }

    @Test func waitTimesOut() async {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        #expect(await book.wait(approval.id, timeout: .milliseconds(20)) == .expired)
        #expect(await book.approval(approval.id)?.resolution == .expired)
    }

    @Test func cancelledWaitLeavesTheApprovalPending() async throws {
        let book = ApprovalBook()
        let approval = await book.request(for: Self.secretRequest, rule: Self.holdRule, exchange: "ex-1", now: F.now)
        let task = Task { await book.wait(approval.id, timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await task.value == .expired)
        #expect(await book.approval(approval.id)?.isPending == true)
    }
}
