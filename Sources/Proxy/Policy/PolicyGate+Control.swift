import Audit
import Foundation
public import Identity
import Policy

extension ControlRequest.Operation {
    /// Pending and recent approvals.
    public static let approvalsList = Self(rawValue: "approvals.list")
    /// Approve one (`id`, `reason`).
    public static let approvalsApprove = Self(rawValue: "approvals.approve")
    /// Deny one (`id`, `reason`).
    public static let approvalsDeny = Self(rawValue: "approvals.deny")
    /// Active grants.
    public static let grantsList = Self(rawValue: "grants.list")
    /// Create a grant (`principal`, `provider`, `model`, `endpoint`, `seconds`, `reason`).
    public static let grantCreate = Self(rawValue: "grant.create")
    /// Revoke a grant (`id`).
    public static let grantRevoke = Self(rawValue: "grant.revoke")
    /// Reload the policy files.
    public static let policyReload = Self(rawValue: "policy.reload")
}

extension PolicyGate {
    /// The control socket operations of approvals and grants. The caller is who the kernel says
    /// (SO_PEERCRED) with the groups their token or `unix_users` gives them.
    public func controlOperations() -> [ControlRequest.Operation: ControlSocketServer.OperationHandler] {
        [
            .approvalsList: { [self] _, caller in await listApprovals(caller) },
            .approvalsApprove: { [self] request, caller in await resolve(request, caller: caller, approve: true) },
            .approvalsDeny: { [self] request, caller in await resolve(request, caller: caller, approve: false) },
            .grantsList: { [self] _, caller in await listGrants(caller) },
            .grantCreate: { [self] request, caller in await createGrant(request, caller: caller) },
            .grantRevoke: { [self] request, caller in await revokeGrant(request, caller: caller) },
            .policyReload: { [self] _, caller in
                guard caller.uid == 0 || caller.uid == getuid() else {
                    return .refusal(code: "notAllowed", message: "only root or the daemon's user may reload the policy; send SIGHUP as root")
                }
                let changed = await reload(reason: "control socket")
                return ControlResponse(ok: true, result: Self.json(["reloaded": changed, "policy_hash": policy.hash]))
            },
        ]
    }

    /// The caller as approver or admin. A local account without a token gets only the groups
    /// `unix_users` names: the `defaults.unauthenticated: group:X` fallback lets requests
    /// through, it never makes anyone an approver.
    private func approver(_ caller: ControlCaller) -> PolicyPrincipal {
        var principal = policyPrincipal(caller.principal, unixUser: caller.userName, uid: caller.uid)
        if !caller.verified, caller.userName.flatMap({ policy.document.unixUsers[$0] }) == nil {
            principal.groups = []
        }
        return principal
    }

    /// Whether `approval` was asked by this caller (same subject, e-mail or uid).
    private func isOwn(_ approval: PendingApproval, _ caller: ControlCaller) -> Bool {
        let me = approver(caller)
        return approval.requester.subject == me.subject || approval.requester.attributes["uid"] == String(caller.uid)
            || (me.email != nil && approval.requester.email?.lowercased() == me.email?.lowercased())
    }

    /// Pending approvals and recent decisions. Approvers and admins see every one; anyone else
    /// only their own requests.
    private func listApprovals(_ caller: ControlCaller) async -> ControlResponse {
        let me = approver(caller)
        // Pending first, then the 50 most recent decisions.
        let all = await approvals.list(now: Date()) + (await approvals.history()).prefix(50)
        let list = all.filter { approval in
            isAdmin(caller) || !Set(approval.rule.approvers).isDisjoint(with: me.groups) || isOwn(approval, caller)
        }
        return ControlResponse(ok: true, result: Self.json(list.map(Self.describe)))
    }

    private func resolve(_ request: ControlRequest, caller: ControlCaller, approve: Bool) async -> ControlResponse {
        guard let id = request.arguments?["id"], !id.isEmpty else {
            return .refusal(code: "malformed", message: "name the approval: chaperone approvals \(approve ? "approve" : "deny") ID --reason \"…\"")
        }
        let reason = request.arguments?["reason"].flatMap { $0.isEmpty ? nil : $0 }
        let who = approver(caller)
        do {
            if approve {
                let outcome = try await approvals.approve(id, approver: who, reason: reason, now: Date())
                recordApproval(.approvalApproved, outcome.approval, input: nil, extra: [
                    "approver": .string(who.subject), "reason": .text(reason),
                ])
                if let grant = outcome.grant {
                    grants.insert(grant)
                    await saveGrants()
                    recordGrant(.grantCreated, grant)
                }
                logger.notice("approval granted", metadata: ["approval": "\(id)", "approver": "\(who.subject)"])
                return ControlResponse(ok: true, result: Self.json(Self.describe(outcome.approval)))
            } else {
                let approval = try await approvals.deny(id, approver: who, reason: reason, now: Date()).approval
                recordApproval(.approvalDenied, approval, input: nil, extra: [
                    "approver": .string(who.subject), "reason": .text(reason),
                ])
                logger.notice("approval denied", metadata: ["approval": "\(id)", "approver": "\(who.subject)"])
                return ControlResponse(ok: true, result: Self.json(Self.describe(approval)))
            }
        } catch {
            return .refusal(code: error.code.description, message: error.message)
        }
    }

    /// Admins see every grant; anyone else the grants that apply to them.
    private func listGrants(_ caller: ControlCaller) async -> ControlResponse {
        let me = approver(caller)
        let list = grants.list(now: Date()).filter { isAdmin(caller) || $0.applies(to: me) }
        return ControlResponse(ok: true, result: Self.json(list.map(Self.describe)))
    }

    /// Admins are root on this host and the members of any group that approves a rule.
    private func isAdmin(_ caller: ControlCaller) -> Bool {
        if caller.uid == 0 { return true }
        let groups = Set(approver(caller).groups)
        return policy.document.approvals.contains { !groups.isDisjoint(with: $0.approvers) }
    }

    private func createGrant(_ request: ControlRequest, caller: ControlCaller) async -> ControlResponse {
        guard isAdmin(caller) else {
            return .refusal(code: "notAnAdmin", message: "only root or a member of an approver group may grant access; ask one of them")
        }
        let arguments = request.arguments ?? [:]
        guard let subject = arguments["principal"], !subject.isEmpty else {
            return .refusal(code: "malformed", message: "name who gets the grant: chaperone grant PRINCIPAL --for 15m --reason …")
        }
        guard let seconds = arguments["seconds"].flatMap(Double.init), seconds.isFinite, seconds > 0 else {
            return .refusal(code: "malformed", message: "say for how long: --for 15m")
        }
        guard seconds <= Self.longestGrant else {
            return .refusal(code: "malformed", message: "a grant lasts at most 30 days; give the group access in policy.yaml instead")
        }
        let me = approver(caller)
        let target = PolicyPrincipal(subject: subject, source: subject.hasPrefix("unix:") ? "unix" : "oidc",
                                     unixUser: subject.hasPrefix("unix:") ? String(subject.dropFirst(5)) : nil)
        if caller.uid != 0, target.subject == me.subject || target.subject == me.email || target.unixUser == caller.userName
            || grantTargets(me, subject)
        {
            return .refusal(code: "selfGrant", message: "nobody grants themselves access; ask another admin")
        }
        guard let reason = arguments["reason"], !reason.isEmpty else {
            return .refusal(code: "justificationRequired", message: "a grant needs a reason: --reason \"…\"")
        }
        var endpoint: Endpoint?
        if let name = arguments["endpoint"] {
            guard let parsed = Endpoint(rawValue: name) else {
                return .refusal(code: "malformed", message: "unknown endpoint '\(name)'; use one of \(Endpoint.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            endpoint = parsed
        }
        let now = Date()
        let grant = Grant(
            id: "grt-" + String(UInt32.random(in: 0...UInt32.max), radix: 36).uppercased(), subject: subject,
            provider: arguments["provider"], model: arguments["model"].map(Glob.init), endpoint: endpoint,
            created: now, expires: now.addingTimeInterval(seconds), reason: reason,
            createdBy: approver(caller).subject)
        grants.insert(grant)
        await saveGrants()
        recordGrant(.grantCreated, grant)
        logger.notice("grant created", metadata: ["grant": "\(grant.id)", "subject": "\(subject)", "by": "\(grant.createdBy)"])
        return ControlResponse(ok: true, result: Self.json(Self.describe(grant)))
    }

    private func revokeGrant(_ request: ControlRequest, caller: ControlCaller) async -> ControlResponse {
        guard isAdmin(caller) else {
            return .refusal(code: "notAnAdmin", message: "only root or a member of an approver group may revoke grants")
        }
        guard let id = request.arguments?["id"], let grant = grants.revoke(id) else {
            return .refusal(code: "unknownID", message: "no such grant; list them with `chaperone grants`")
        }
        await saveGrants()
        recordGrant(.grantRevoked, grant, extra: ["revoked_by": .string(approver(caller).subject)])
        return ControlResponse(ok: true, result: Self.json(Self.describe(grant)))
    }

    /// Expires approvals and grants whose time is up; the daemon calls it every second.
    public func sweep() async {
        let now = Date()
        for approval in await approvals.sweep(now: now) where approval.rule.mode == .ticket {
            // A held request writes its own expiry when its wait ends.
            recordApproval(.approvalExpired, approval, input: nil)
        }
        let expired = grants.sweep(now: now)
        for grant in expired { recordGrant(.grantExpired, grant) }
        if !expired.isEmpty { await saveGrants() }
    }

    func saveGrants() async {
        do {
            try grants.save(to: URL(fileURLWithPath: grantsPath))
        } catch {
            logger.error("cannot save the grants", metadata: ["error": "\(error)", "path": "\(grantsPath)"])
        }
    }

    func recordGrant(_ kind: AuditEventKind, _ grant: Grant, extra: [String: AuditValue] = [:]) {
        var payload: [String: AuditValue] = [
            "grant_id": .string(grant.id), "subject": .string(grant.subject), "provider": .text(grant.provider),
            "model": .text(grant.model?.pattern), "endpoint": .text(grant.endpoint?.rawValue),
            "approval_rule": .text(grant.approvalRule), "created": .string(grant.created.formatted(.iso8601)),
            "expires": .string(grant.expires.formatted(.iso8601)), "reason": .string(grant.reason),
            "created_by": .string(grant.createdBy),
        ]
        payload.merge(extra) { _, new in new }
        trail?.submit(kind, session: nil, principal: grant.subject, payload: .object(payload))
    }

    /// The longest grant `chaperone grant` may create.
    static let longestGrant: Double = 30 * 86_400

    /// Whether a grant for `subject` would cover `me` (the grant's own matching rule).
    private func grantTargets(_ me: PolicyPrincipal, _ subject: String) -> Bool {
        let probe = Grant(id: "", subject: subject, created: Date(), expires: .distantFuture, reason: "", createdBy: "")
        return probe.applies(to: me)
    }

    static func describe(_ approval: PendingApproval) -> [String: Any] {
        var object: [String: Any] = [
            "id": approval.id, "rule": approval.rule.name, "mode": approval.rule.mode.rawValue,
            "status": approval.resolution?.name ?? "pending", "requester": approval.requester.subject,
            "provider": approval.provider ?? NSNull(), "model": approval.model ?? NSNull(),
            "endpoint": approval.endpoint.rawValue, "exchange": approval.exchange,
            "requested_at": approval.created.formatted(.iso8601), "expires_at": approval.expires.formatted(.iso8601),
            "approvers": approval.rule.approvers, "justification_required": approval.rule.requireJustification,
        ]
        switch approval.resolution {
        case .approved(let by, let reason), .denied(let by, let reason):
            object["resolved_by"] = by
            object["reason"] = reason ?? NSNull()
        default:
            break
        }
        return object
    }

    static func describe(_ grant: Grant) -> [String: Any] {
        [
            "id": grant.id, "subject": grant.subject, "provider": grant.provider ?? NSNull(),
            "model": grant.model?.pattern ?? NSNull(), "endpoint": grant.endpoint?.rawValue ?? NSNull(),
            "approval_rule": grant.approvalRule ?? NSNull(), "created": grant.created.formatted(.iso8601),
            "expires": grant.expires.formatted(.iso8601), "reason": grant.reason, "created_by": grant.createdBy,
        ]
    }

    static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
