/// The parsed content of `policy.yaml` and its `policy.d/*.yaml` fragments, merged.
///
/// Rules keep file order: `policy.yaml` first, then fragments by file name.
public struct PolicyDocument: Sendable, Hashable, Codable {
    /// The language version; only 1 exists.
    public var version: Int = 1
    /// The `defaults:` section.
    public var defaults = PolicyDefaults()
    /// Local accounts without tokens → the groups they join.
    public var unixUsers: [String: [String]] = [:]
    /// Identity sources (`github-actions`, …) → groups every principal from them joins.
    public var sources: [String: [String]] = [:]
    /// Groups, in file order.
    public var groups: [GroupAccess] = []
    /// Deny rules, in evaluation order.
    public var deny: [DenyRule] = []
    /// Approval rules, in evaluation order.
    public var approvals: [ApprovalRule] = []

    /// An empty document: everything is denied.
    public init() {}

    /// The group with this name, if defined.
    public func group(named name: String) -> GroupAccess? {
        groups.first { $0.name == name }
    }

    enum CodingKeys: String, CodingKey {
        case version, defaults, groups, deny, approvals, sources
        case unixUsers = "unix_users"
    }
}
