/// The result of approving or denying: the approval as it now stands, and for an approved
/// ticket, the grant the proxy should add to the ``GrantBook``.
public struct ApprovalOutcome: Sendable, Hashable {
    /// The approval, resolved.
    public let approval: PendingApproval
    /// The grant created by approving a ticket; `nil` for hold rules and denials.
    public let grant: Grant?
}
