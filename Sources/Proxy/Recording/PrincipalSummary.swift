import Identity

/// The principal part of a record: who the call is attributed to, and how sure we are.
struct PrincipalSummary: Encodable, Sendable, Equatable {
    var subject: String
    var email: String?
    var groups: [String]
    var issuer: String
    /// `oidc`, `github-actions`, `gitlab-ci` (a verified token) or `unix` (the uid only).
    var source: String
    /// CI job facts (repository, workflow, run id...) for CI principals.
    var attributes: [String: String]

    init(_ principal: Principal) {
        subject = principal.subject
        email = principal.email
        groups = principal.groups
        issuer = principal.issuer
        source = principal.source.rawValue
        attributes = principal.attributes
    }
}
