public import Foundation

/// A time-bound permission for one principal, created by an admin (`chaperone grant`) or by
/// approving a ticket.
///
/// A grant without ``approvalRule`` lets through requests that the groups would refuse; a grant
/// with one satisfies that approval rule (and only that rule). Deny rules always win.
public struct Grant: Sendable, Hashable, Codable, Identifiable {
    /// `grt-` and six characters, e.g. `grt-4HX9QW`.
    public var id: String
    /// Whom it is for: a token subject, an email, or a local account name.
    public var subject: String
    /// Only this provider, or any.
    public var provider: String?
    /// Only models matching this glob, or any.
    public var model: Glob?
    /// Only this endpoint, or any.
    public var endpoint: Endpoint?
    /// The approval rule this grant satisfies, for grants created by approving a ticket.
    public var approvalRule: String?
    /// When it was created.
    public var created: Date
    /// When it stops applying.
    public var expires: Date
    /// Why it exists, for the audit log.
    public var reason: String
    /// Who created it: the admin or approver.
    public var createdBy: String

    /// Creates a grant.
    ///
    /// - Parameters:
    ///   - id: The grant's id.
    ///   - subject: Whom it is for.
    ///   - provider: Only this provider.
    ///   - model: Only models matching this glob.
    ///   - endpoint: Only this endpoint.
    ///   - approvalRule: The approval rule it satisfies.
    ///   - created: When it was created.
    ///   - expires: When it stops applying.
    ///   - reason: Why it exists.
    ///   - createdBy: Who created it.
    public init(
        id: String,
        subject: String,
        provider: String? = nil,
        model: Glob? = nil,
        endpoint: Endpoint? = nil,
        approvalRule: String? = nil,
        created: Date,
        expires: Date,
        reason: String,
        createdBy: String
    ) {
        self.id = id
        self.subject = subject
        self.provider = provider
        self.model = model
        self.endpoint = endpoint
        self.approvalRule = approvalRule
        self.created = created
        self.expires = expires
        self.reason = reason
        self.createdBy = createdBy
    }

    /// Whether the grant is in force at `now`.
    public func isActive(at now: Date) -> Bool { now < expires }

    /// Whether the grant is for this principal: its subject, its email (ignoring case), or,
    /// for a local account, `NAME` or `unix:NAME`.
    public func applies(to principal: PolicyPrincipal) -> Bool {
        if subject == principal.subject { return true }
        if let email = principal.email, subject.caseInsensitiveCompare(email) == .orderedSame { return true }
        if !principal.isAuthenticated, let user = principal.unixUser {
            return subject == user || subject == "unix:\(user)"
        }
        return false
    }

    /// Whether the grant lets `request` through at `now`, for `rule` (`nil`: the access check).
    public func covers(_ request: PolicyRequest, rule: String?, at now: Date) -> Bool {
        guard isActive(at: now), approvalRule == rule, applies(to: request.principal) else { return false }
        if let provider, provider != request.provider { return false }
        if let endpoint, endpoint != request.endpoint { return false }
        if let model {
            guard let requested = request.model, model.matches(requested) else { return false }
        }
        return true
    }
}
