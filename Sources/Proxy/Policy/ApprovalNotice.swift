import Foundation
import Policy

/// The webhook's announcement of one pending approval: Slack-compatible (`text`, shown as is by
/// a Slack incoming webhook) with the approval's facts under `approval` for other receivers.
struct ApprovalNotice {
    let approval: PendingApproval

    func json() -> Data {
        let rule = approval.rule
        let what = [approval.provider, approval.model, approval.endpoint.rawValue].compactMap { $0 }.joined(separator: " · ")
        let text = """
            Chaperone: \(approval.requester.displayName) asks to send a request that rule '\(rule.name)' holds for approval (\(what)). \
            Approvers (\(rule.approvers.joined(separator: ", "))): `chaperone approvals approve \(approval.id) --reason "…"` \
            or `chaperone approvals deny \(approval.id) --reason "…"` before \(approval.expires.formatted(.iso8601)).
            """
        let object: [String: Any] = [
            "text": text,
            "approval": [
                "id": approval.id, "rule": rule.name, "mode": rule.mode.rawValue,
                "requester": approval.requester.subject, "provider": approval.provider ?? NSNull(),
                "model": approval.model ?? NSNull(), "endpoint": approval.endpoint.rawValue,
                "approvers": rule.approvers, "requested_at": approval.created.formatted(.iso8601),
                "expires_at": approval.expires.formatted(.iso8601),
                "justification_required": rule.requireJustification,
            ] as [String: Any],
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }
}
