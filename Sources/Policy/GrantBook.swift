public import Foundation
import Synchronization

/// The grants in force: created by admins (`chaperone grant`) or by approving tickets.
///
/// Pure state with time passed in; ``sweep(now:)`` (called by the daemon every second)
/// removes expired grants and returns them for `grant.expired` audit events. Persist with
/// ``save(to:)`` after each change and ``load(from:)`` at start so grants survive a restart.
///
/// Every method is synchronous behind one lock (held for a dictionary operation): the data
/// path reads the grants of every request on its event loop, without a hop to another thread.
public final class GrantBook: Sendable {
    private let state: Mutex<[String: Grant]>

    /// Creates a book holding `grants`.
    public init(grants: [Grant] = []) {
        state = Mutex(Dictionary(grants.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last }))
    }

    /// Creates and stores a grant.
    ///
    /// - Parameters:
    ///   - subject: Whom it is for: subject, email or local account name.
    ///   - provider: Only this provider, or any.
    ///   - model: Only models matching this glob, or any.
    ///   - endpoint: Only this endpoint, or any.
    ///   - approvalRule: The approval rule it satisfies; `nil` for an access grant.
    ///   - duration: How long it lasts from `now`, in seconds.
    ///   - reason: Why, for the audit log.
    ///   - createdBy: The admin's name.
    ///   - now: The current time.
    /// - Returns: The grant, with a new `grt-` id.
    public func create(
        subject: String,
        provider: String? = nil,
        model: String? = nil,
        endpoint: Endpoint? = nil,
        approvalRule: String? = nil,
        duration: TimeInterval,
        reason: String,
        createdBy: String,
        now: Date
    ) -> Grant {
        state.withLock { grants in
            var id = ShortID.make(prefix: "grt")
            while grants[id] != nil { id = ShortID.make(prefix: "grt") }
            let grant = Grant(
                id: id,
                subject: subject,
                provider: provider,
                model: model.map(Glob.init),
                endpoint: endpoint,
                approvalRule: approvalRule,
                created: now,
                expires: now.addingTimeInterval(duration),
                reason: reason,
                createdBy: createdBy
            )
            grants[id] = grant
            return grant
        }
    }

    /// Stores a grant made elsewhere (``ApprovalOutcome/grant``), replacing one with its id.
    public func insert(_ grant: Grant) {
        state.withLock { $0[grant.id] = grant }
    }

    /// Grants in force for a principal (by subject, email or local account), soonest expiry first.
    public func active(for principal: PolicyPrincipal, now: Date) -> [Grant] {
        list(now: now).filter { $0.applies(to: principal) }
    }

    /// Grants in force whose subject is exactly `subject`, soonest expiry first.
    public func active(for subject: String, now: Date) -> [Grant] {
        list(now: now).filter { $0.subject == subject }
    }

    /// All grants in force, soonest expiry first.
    public func list(now: Date) -> [Grant] {
        state.withLock { grants in Array(grants.values) }.filter { $0.isActive(at: now) }.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
    }

    /// Removes a grant before it expires.
    ///
    /// - Returns: The revoked grant, `nil` when no grant has this id.
    @discardableResult
    public func revoke(_ id: String) -> Grant? {
        state.withLock { $0.removeValue(forKey: id) }
    }

    /// Replaces every grant, for ``load(from:)``.
    func replaceAll(with newGrants: [Grant]) {
        state.withLock { $0 = Dictionary(newGrants.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last }) }
    }

    /// Removes expired grants.
    ///
    /// - Returns: The grants that expired, oldest expiry first, for `grant.expired` events.
    @discardableResult
    public func sweep(now: Date) -> [Grant] {
        state.withLock { grants in
            let expired = grants.values.filter { !$0.isActive(at: now) }.sorted {
                ($0.expires, $0.id) < ($1.expires, $1.id)
            }
            for grant in expired { grants[grant.id] = nil }
            return expired
        }
    }
}
