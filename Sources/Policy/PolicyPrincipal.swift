/// Who sent a request, as the policy sees it.
///
/// The daemon builds this from the identity layer's principal: a verified token's subject and
/// groups, or the local unix account when the connection's uid handed in no token. Policy never
/// verifies anything itself; it trusts what the identity layer put here.
public struct PolicyPrincipal: Sendable, Hashable, Codable {
    /// `sub` of the token, or `unix:NAME(UID)@HOST` for a local account without a token.
    public var subject: String
    /// The token's `email` claim, when it has one.
    public var email: String?
    /// Groups from the token; the policy adds groups from `unix_users` and `sources`.
    public var groups: [String]
    /// Where the identity comes from: `oidc`, `github-actions`, `gitlab-ci` or `unix`.
    public var source: String
    /// Source-specific facts: `repository`, `workflow` for CI tokens; `uid` for unix.
    public var attributes: [String: String]
    /// The local account name, for ``source`` `unix`.
    public var unixUser: String?

    /// Whether a token vouches for this principal (every source except `unix`).
    public var isAuthenticated: Bool { source != "unix" }

    /// The name users and admins know this principal by: the email, else the subject.
    public var displayName: String { email ?? subject }

    /// Creates a principal.
    ///
    /// - Parameters:
    ///   - subject: The token subject or the unix subject.
    ///   - email: The token's email claim.
    ///   - groups: Groups from the token.
    ///   - source: `oidc`, `github-actions`, `gitlab-ci` or `unix`.
    ///   - attributes: Source-specific facts (`repository`, `uid`, …).
    ///   - unixUser: The local account name for `unix` principals.
    public init(
        subject: String,
        email: String? = nil,
        groups: [String] = [],
        source: String,
        attributes: [String: String] = [:],
        unixUser: String? = nil
    ) {
        self.subject = subject
        self.email = email
        self.groups = groups
        self.source = source
        self.attributes = attributes
        self.unixUser = unixUser
    }
}
