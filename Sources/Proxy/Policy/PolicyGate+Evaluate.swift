import Audit
import Foundation
import Identity
import Logging
import Policy

extension PolicyGate {
    /// What ``decide(_:)`` found: a verdict at once, or an approval rule to run.
    enum Decision: Sendable {
        /// Allowed (by the policy or a grant) or denied: nothing to wait for.
        case verdict(GateVerdict)
        /// An approval rule applies; ``runApproval(_:input:)`` carries it out (hold: waits for
        /// an approver; ticket: files the request and refuses at once).
        case approval(ApprovalToRun)
    }

    /// An approval rule that applies to a request, with what its events need.
    struct ApprovalToRun: Sendable {
        let rule: ApprovalRule
        let decision: PolicyDecision
        let request: PolicyRequest
    }

    /// Decides one held request on the caller's thread and writes `policy.decision`. Allow,
    /// allow under a grant and deny are final here; an approval rule is returned for
    /// ``runApproval(_:input:)``, which can wait for a human.
    func decide(_ input: GateInput) -> Decision {
        let policy = self.policy
        let principal = policyPrincipal(input.principal, unixUser: input.unixUser, uid: input.uid)
        let request = Self.request(from: input, principal: principal)
        let now = Date()
        let decision = policy.decide(request, grants: grants.active(for: principal, now: now), now: now)
        recordDecision(decision, input: input)
        switch decision.outcome {
        case .allow:
            return .verdict(.proceed(note: "allow"))
        case .allowUnderGrant(let id):
            return .verdict(.proceed(note: "grant:\(id)"))
        case .deny:
            return .verdict(
                .refuse(
                    ProviderErrorBody(status: 403, type: "policy_denied", message: "Chaperone policy: \(decision.reason)"),
                    note: "deny \(decision.matchedRules.joined(separator: ","))"))
        case .ticket, .hold:
            guard let rule = decision.approvalRule else {
                return .verdict(
                    .refuse(
                        ProviderErrorBody(status: 403, type: "policy_denied", message: "Chaperone policy: \(decision.reason)"),
                        note: "deny"))
            }
            return .approval(ApprovalToRun(rule: rule, decision: decision, request: request))
        }
    }

    /// Runs the approval rule that applies to a request.
    func runApproval(_ approval: ApprovalToRun, input: GateInput) async -> GateVerdict {
        await runApproval(rule: approval.rule, decision: approval.decision, request: approval.request, input: input)
    }

    private func runApproval(
        rule: ApprovalRule, decision: PolicyDecision, request: PolicyRequest, input: GateInput
    ) async -> GateVerdict {
        let pending = await approvals.request(for: request, rule: rule, exchange: input.exchange, now: Date())
        recordApproval(.approvalRequested, pending, input: input)
        announce(pending)
        let approveCommand = "chaperone approvals approve \(pending.id) --reason \"…\""
        let approvers = rule.approvers.joined(separator: ", ")
        if rule.mode == .ticket {
            return .refuse(
                ProviderErrorBody(
                    status: 403, type: "approval_required",
                    message: "Chaperone policy: this request needs approval (rule '\(rule.name)'). Approval id \(pending.id): ask someone in \(approvers) to run `\(approveCommand)`, then retry; the approval grants you \(Self.describe(rule.grantFor)) of access."),
                note: "ticket \(pending.id)")
        }
        logger.notice(
            "request held for approval",
            metadata: ["approval": "\(pending.id)", "rule": "\(rule.name)", "requester": "\(request.principal.subject)"])
        let resolution = await approvals.wait(pending.id, timeout: .milliseconds(Int64(rule.timeout * 1000)))
        if Task.isCancelled {
            // The client went away while waiting: withdraw the request so nobody approves a
            // request that no longer exists.
            _ = try? await approvals.deny(
                pending.id, approver: request.principal, reason: "withdrawn: the client closed the connection", now: Date())
            recordApproval(.approvalExpired, pending, input: input, extra: ["reason": .string("the client closed the connection")])
            return .refuse(
                ProviderErrorBody(status: 499, type: "client_closed", message: "the client closed the connection"),
                note: "withdrawn:\(pending.id)")
        }
        switch resolution {
        case .approved:
            return .proceed(note: "approved:\(pending.id)")
        case .denied(let approver, let reason):
            return .refuse(
                ProviderErrorBody(
                    status: 403, type: "approval_denied",
                    message: "Chaperone: \(approver) denied this request (approval \(pending.id), rule '\(rule.name)'): \(reason ?? "no reason given")"),
                note: "denied:\(pending.id)")
        case .expired:
            recordApproval(.approvalExpired, pending, input: input)
            if rule.fail == .open {
                logger.warning("approval timed out; the rule fails open", metadata: ["approval": "\(pending.id)"])
                return .proceed(note: "expired-open:\(pending.id)")
            }
            return .refuse(
                ProviderErrorBody(
                    status: 403, type: "approval_timeout",
                    message: "Chaperone: no approver answered within \(Self.describe(rule.timeout)) (approval \(pending.id), rule '\(rule.name)'); the request timed out. Ask someone in \(approvers) to watch `chaperone approvals list`, then retry."),
                note: "expired:\(pending.id)")
        }
    }

    static func request(from input: GateInput, principal: PolicyPrincipal) -> PolicyRequest {
        let isJSON = input.contentType?.lowercased().contains("json") ?? false
        return PolicyRequest(
            principal: principal, provider: input.provider, host: input.host, method: input.method, path: input.path,
            model: RequestFacts.model(inJSON: isJSON ? input.body : [], path: input.path),
            bodyBytes: input.bodyBytes, bodyInspected: input.bodyInspected,
            entities: input.entities, usesTools: isJSON && RequestFacts.usesTools(inJSON: input.body),
            text: isJSON ? RequestFacts.text(inJSON: input.body) : (input.body.isEmpty ? nil : String(decoding: input.body, as: UTF8.self)))
    }

    static func describe(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded())
        if seconds % 3600 == 0, seconds >= 3600 { return "\(seconds / 3600) h" }
        if seconds % 60 == 0, seconds >= 60 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }

    // MARK: Events

    private func recordDecision(_ decision: PolicyDecision, input: GateInput) {
        var payload: [String: AuditValue] = [
            "outcome": .string(decision.outcome.name), "matched_rules": .strings(decision.matchedRules),
            "reason": .string(decision.reason), "groups": .strings(decision.groups),
            "masking": .string(decision.maskingRuleSet), "grant": .text(decision.grantID),
            "approval_rule": .text(decision.approvalRule?.name),
        ]
        payload["decided_policy_hash"] = .string(decision.policyHash)
        trail?.submit(
            .policyDecision, session: input.session, exchange: input.exchange, principal: input.principal?.subject,
            payload: .object(payload))
    }

    func recordApproval(_ kind: AuditEventKind, _ approval: PendingApproval, input: GateInput?, extra: [String: AuditValue] = [:]) {
        var payload = Self.approvalPayload(approval)
        payload.merge(extra) { _, new in new }
        trail?.submit(
            kind, session: input?.session, exchange: approval.exchange, principal: approval.requester.subject,
            payload: .object(payload))
    }

    static func approvalPayload(_ approval: PendingApproval) -> [String: AuditValue] {
        [
            "approval_id": .string(approval.id), "rule": .string(approval.rule.name),
            "mode": .string(approval.rule.mode.rawValue), "requester": .string(approval.requester.subject),
            "requested_at": .string(approval.created.formatted(.iso8601)),
            "expires_at": .string(approval.expires.formatted(.iso8601)),
            "provider": .text(approval.provider), "model": .text(approval.model),
            "endpoint": .string(approval.endpoint.rawValue),
        ]
    }

    /// Posts the pending approval to the webhook, off the request's path.
    private func announce(_ approval: PendingApproval) {
        guard let webhook else { return }
        let body = ApprovalNotice(approval: approval).json()
        let logger = self.logger
        Task {
            do {
                let status = try await webhook.post(body)
                if !(200..<300).contains(status) {
                    logger.warning("the approval webhook answered \(status)", metadata: ["approval": "\(approval.id)"])
                }
            } catch {
                logger.warning("cannot reach the approval webhook", metadata: ["error": "\(error)", "approval": "\(approval.id)"])
            }
        }
    }
}
