public import Foundation

/// The approvals the daemon is waiting on, and the ones decided recently.
///
/// Pure state: time comes in as `now` from the caller, which also calls ``sweep(now:)`` every
/// second so approvals nobody decided expire on time. A held request parks in
/// ``wait(_:timeout:)`` until an approver decides, the approval expires or the wait times out.
/// For tickets, approving returns a ``Grant`` for the caller to add to its ``GrantBook``.
public actor ApprovalBook {
    private struct Waiter {
        let continuation: CheckedContinuation<ApprovalResolution, Never>
        let timer: Task<Void, Never>?
    }

    private var approvals: [String: PendingApproval] = [:]
    private var waiters: [String: [UUID: Waiter]] = [:]
    private let makeID: @Sendable () -> String
    private let historyLimit: Int

    /// Creates an empty book.
    ///
    /// - Parameters:
    ///   - historyLimit: How many decided approvals to keep for listings and late waiters.
    ///   - makeID: Makes approval ids; the default is `apr-` and six random characters.
    public init(historyLimit: Int = 1000, makeID: (@Sendable () -> String)? = nil) {
        self.historyLimit = historyLimit
        self.makeID = makeID ?? { ShortID.make(prefix: "apr") }
    }

    /// Opens an approval for a request that an approval rule matched.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - rule: The rule from the decision (``PolicyDecision/approvalRule``).
    ///   - exchange: The exchange id in the audit log.
    ///   - now: The current time; the approval expires at `now + rule.timeout`.
    /// - Returns: The pending approval; its ``PendingApproval/instructions`` are for the requester.
    public func request(for request: PolicyRequest, rule: ApprovalRule, exchange: String, now: Date) -> PendingApproval
    {
        var id = makeID()
        while approvals[id] != nil { id = makeID() }
        let approval = PendingApproval(
            id: id,
            rule: rule,
            requester: request.principal,
            provider: request.provider,
            model: request.model,
            endpoint: request.endpoint,
            exchange: exchange,
            created: now,
            expires: now.addingTimeInterval(rule.timeout)
        )
        approvals[id] = approval
        return approval
    }

    /// Pending approvals, oldest first, after expiring those past their timeout.
    public func list(now: Date) -> [PendingApproval] {
        sweep(now: now)
        return approvals.values.filter(\.isPending).sorted { ($0.created, $0.id) < ($1.created, $1.id) }
    }

    /// Decided approvals still remembered, newest decision first.
    public func history() -> [PendingApproval] {
        approvals.values.filter { !$0.isPending }.sorted {
            ($0.resolved ?? .distantPast) > ($1.resolved ?? .distantPast)
        }
    }

    /// One approval by id, pending or decided.
    public func approval(_ id: String) -> PendingApproval? { approvals[id] }

    /// Expires approvals past their timeout and wakes their waiters.
    ///
    /// - Parameter now: The current time.
    /// - Returns: The approvals that expired in this call, for `approval.expired` audit events.
    @discardableResult
    public func sweep(now: Date) -> [PendingApproval] {
        let due = approvals.values.filter { $0.isPending && now >= $0.expires }.sorted { $0.expires < $1.expires }
        let expired = due.map { resolve($0.id, .expired, at: $0.expires) }
        trimHistory()
        return expired
    }

    /// Approves a pending request.
    ///
    /// - Parameters:
    ///   - id: The approval id.
    ///   - approver: The approver, with groups resolved by ``Policy/resolvingGroups(of:)``.
    ///   - reason: The justification; required when the rule says so.
    ///   - now: The current time.
    /// - Returns: The resolved approval and, for a ticket, the grant to add to the ``GrantBook``.
    /// - Throws: ``ApprovalError`` when the id is unknown, the approver may not approve, a
    ///   reason is missing, or the approval was already decided or expired.
    public func approve(
        _ id: String,
        approver: PolicyPrincipal,
        reason: String?,
        now: Date
    ) throws(ApprovalError) -> ApprovalOutcome {
        let approval = try decidable(id, by: approver, now: now)
        if Self.isSame(approver, approval.requester) {
            throw ApprovalError(
                .selfApproval,
                "\(id) was requested by you (\(approval.requester.displayName)); nobody approves their own request: ask another member of \(approval.rule.approvers.joined(separator: " or "))"
            )
        }
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if approval.rule.requireJustification, reason?.isEmpty ?? true {
            throw ApprovalError(
                .justificationRequired,
                "rule '\(approval.rule.name)' requires a justification; run `chaperone approvals approve \(id) --reason \"why this is fine\"`"
            )
        }
        let resolved = resolve(
            id,
            .approved(by: approver.displayName, reason: reason?.isEmpty == true ? nil : reason),
            at: now
        )
        var grant: Grant?
        if approval.rule.mode == .ticket {
            grant = Grant(
                id: ShortID.make(prefix: "grt"),
                subject: approval.requester.subject,
                provider: approval.provider,
                approvalRule: approval.rule.name,
                created: now,
                expires: now.addingTimeInterval(approval.rule.grantFor),
                reason: "approval \(id)" + (reason.map { $0.isEmpty ? "" : ": \($0)" } ?? ""),
                createdBy: approver.displayName
            )
        }
        return ApprovalOutcome(approval: resolved, grant: grant)
    }

    /// Denies a pending request. The requester may withdraw their own request this way.
    ///
    /// - Parameters:
    ///   - id: The approval id.
    ///   - approver: The approver (or the requester), groups resolved.
    ///   - reason: Why, shown to the requester.
    ///   - now: The current time.
    /// - Returns: The resolved approval.
    /// - Throws: ``ApprovalError`` when the id is unknown, the caller may not decide, or the
    ///   approval was already decided or expired.
    public func deny(
        _ id: String,
        approver: PolicyPrincipal,
        reason: String?,
        now: Date
    ) throws(ApprovalError) -> ApprovalOutcome {
        _ = try decidable(id, by: approver, now: now, requesterMayDecide: true)
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        let resolved = resolve(
            id,
            .denied(by: approver.displayName, reason: reason?.isEmpty == true ? nil : reason),
            at: now
        )
        return ApprovalOutcome(approval: resolved, grant: nil)
    }

    /// Waits for a decision on a held request.
    ///
    /// Several tasks may wait on the same approval; each is resumed exactly once. An id that is
    /// already decided returns its resolution at once; an unknown id returns ``ApprovalResolution/expired``.
    /// When `timeout` passes first, the approval expires for everyone. A cancelled wait
    /// returns `.expired` and leaves the approval pending.
    ///
    /// - Parameters:
    ///   - id: The approval id.
    ///   - timeout: The longest wait; normally the rule's timeout.
    /// - Returns: How the approval ended.
    public func wait(_ id: String, timeout: Duration) async -> ApprovalResolution {
        guard let approval = approvals[id] else { return .expired }
        if let resolution = approval.resolution { return resolution }
        let token = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ApprovalResolution, Never>) in
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    await self?.timeOut(id)
                }
                waiters[id, default: [:]][token] = Waiter(continuation: continuation, timer: timer)
            }
        } onCancel: {
            Task { await self.cancelWait(id, token: token) }
        }
    }

    // MARK: Internals

    private func decidable(
        _ id: String,
        by approver: PolicyPrincipal,
        now: Date,
        requesterMayDecide: Bool = false
    ) throws(ApprovalError) -> PendingApproval {
        sweep(now: now)
        guard let approval = approvals[id] else {
            throw ApprovalError(
                .unknownID,
                "no approval \(id); run `chaperone approvals list` for the pending ones (ids look like apr-7KQ2M9)"
            )
        }
        if let resolution = approval.resolution {
            throw ApprovalError(.alreadyResolved, Self.resolvedMessage(approval, resolution))
        }
        if requesterMayDecide, Self.isSame(approver, approval.requester) { return approval }
        let approverGroups = approval.rule.approvers
        guard approver.groups.contains(where: approverGroups.contains) else {
            throw ApprovalError(
                .notAnApprover,
                "\(approver.displayName) may not decide \(id): rule '\(approval.rule.name)' is approved by members of \(approverGroups.joined(separator: ", ")); your groups: \(approver.groups.isEmpty ? "none" : approver.groups.joined(separator: ", "))"
            )
        }
        return approval
    }

    private static func resolvedMessage(_ approval: PendingApproval, _ resolution: ApprovalResolution) -> String {
        let when = approval.resolved?.formatted(.iso8601) ?? "earlier"
        switch resolution {
        case .approved(let by, _):
            return "\(approval.id) was already approved by \(by) at \(when); nothing to do"
        case .denied(let by, _):
            return "\(approval.id) was already denied by \(by) at \(when); the requester must send the request again"
        case .expired:
            return "\(approval.id) expired at \(when) without a decision; the requester must send the request again"
        }
    }

    /// Same person: same subject, same email, or the same local uid.
    static func isSame(_ a: PolicyPrincipal, _ b: PolicyPrincipal) -> Bool {
        if a.subject == b.subject { return true }
        if let x = a.email, let y = b.email, x.caseInsensitiveCompare(y) == .orderedSame { return true }
        if let x = a.attributes["uid"], let y = b.attributes["uid"], x == y { return true }
        return false
    }

    private func resolve(_ id: String, _ resolution: ApprovalResolution, at time: Date) -> PendingApproval {
        approvals[id]?.resolution = resolution
        approvals[id]?.resolved = time
        for waiter in (waiters.removeValue(forKey: id) ?? [:]).values {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: resolution)
        }
        return approvals[id]!
    }

    private func timeOut(_ id: String) {
        guard let approval = approvals[id], approval.isPending else { return }
        _ = resolve(id, .expired, at: approval.expires)
    }

    private func cancelWait(_ id: String, token: UUID) {
        guard let waiter = waiters[id]?.removeValue(forKey: token) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(returning: .expired)
    }

    private func trimHistory() {
        let decided = history()
        guard decided.count > historyLimit else { return }
        for old in decided[historyLimit...] { approvals[old.id] = nil }
    }
}
