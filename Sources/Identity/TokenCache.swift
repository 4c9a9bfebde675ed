public import Foundation

/// The verified token each local uid handed in, keyed by uid, with the refresh token that
/// renews it when the uid logged in with `chaperone login`.
///
/// The uid is always the kernel's word (`SO_PEERCRED` of the control socket, sock_diag of an
/// intercepted connection), never a request's: a token stored for one uid is only ever
/// returned for that uid, and its refresh token only ever renews that uid's entry. Expired
/// entries are dropped when read, refresh token and all. Refresh tokens live in memory only.
public actor TokenCache {
    /// A uid's entry whose token will expire soon, for the refresher.
    public struct Expiring: Sendable, Hashable {
        public var uid: UInt32
        public var principal: Principal
        public var expiresAt: Date
        /// Whether the daemon holds a refresh token for the entry.
        public var hasRefreshToken: Bool
    }

    /// One uid's entry.
    private struct Entry {
        var token: VerifiedToken
        var refreshToken: RefreshToken?
    }

    /// A uid's entry as the refresher found it: its refresh token, and what must still be
    /// there for the refreshed token to replace it.
    struct RefreshJob: Sendable, Hashable {
        var uid: UInt32
        var token: VerifiedToken
        var refreshToken: RefreshToken
    }

    /// Checks every token before it is stored (the refresher's too).
    nonisolated let verifier: TokenVerifier
    private let now: @Sendable () -> Date
    /// Entries this close to expiry (or half their lifetime, when shorter) are reported by
    /// ``needingRefresh()``.
    public let refreshWindow: TimeInterval
    private var entries: [UInt32: Entry] = [:]

    /// - Parameters:
    ///   - verifier: Checks every token before it is stored.
    ///   - refreshWindow: Seconds before expiry from which an entry needs refreshing.
    ///   - now: The wall clock expiry is judged by.
    public init(verifier: TokenVerifier, refreshWindow: TimeInterval = 300, now: @escaping @Sendable () -> Date = { Date() }) {
        self.verifier = verifier
        self.refreshWindow = refreshWindow
        self.now = now
    }

    /// Verifies `token` and stores it for `uid`, replacing that uid's earlier token and refresh
    /// token. A token that fails verification leaves the uid's earlier entry as it was.
    /// - Parameters:
    ///   - token: The ID token.
    ///   - refreshToken: The refresh token issued with it, kept so the daemon can renew the
    ///     entry ahead of expiry; `nil` drops the uid's earlier one (it renewed another token).
    ///   - uid: The caller, as the kernel reports it.
    /// - Returns: The verified token.
    /// - Throws: The verifier's `TokenError`.
    @discardableResult
    public func set(token: String, refreshToken: RefreshToken? = nil, for uid: UInt32) async throws(TokenError) -> VerifiedToken {
        let verified = try await self.verifier.verify(token)
        self.entries[uid] = Entry(token: verified, refreshToken: refreshToken)
        return verified
    }

    /// The principal of `uid`'s token, or `nil` when it has none or it expired (then dropped).
    public func principal(for uid: UInt32) -> Principal? {
        self.token(for: uid)?.principal
    }

    /// The verified token of `uid`, or `nil` when it has none or it expired (then dropped).
    public func token(for uid: UInt32) -> VerifiedToken? {
        self.entry(for: uid)?.token
    }

    /// Whether the daemon holds a refresh token for `uid`'s current token.
    public func hasRefreshToken(for uid: UInt32) -> Bool {
        self.entry(for: uid)?.refreshToken != nil
    }

    /// Forgets `uid`'s token and its refresh token.
    /// - Returns: Whether there was a token.
    @discardableResult
    public func remove(uid: UInt32) -> Bool {
        self.entries.removeValue(forKey: uid) != nil
    }

    /// The entries that expire within their refresh window but have not expired, soonest first;
    /// expired entries are dropped. The refresher calls this on a timer.
    ///
    /// An entry's window is ``refreshWindow``, or half the token's lifetime (`exp` − `iat`)
    /// when that is shorter: a 5-minute ID token (Keycloak's default) is renewed every 2½
    /// minutes, not on every pass of the timer.
    public func needingRefresh() -> [Expiring] {
        let now = self.now()
        var result: [Expiring] = []
        for (uid, entry) in self.entries {
            if entry.token.expiresAt <= now {
                self.entries[uid] = nil
            } else if entry.token.expiresAt.timeIntervalSince(now) <= self.window(of: entry.token) {
                result.append(
                    Expiring(
                        uid: uid, principal: entry.token.principal, expiresAt: entry.token.expiresAt,
                        hasRefreshToken: entry.refreshToken != nil))
            }
        }
        return result.sorted { ($0.expiresAt, $0.uid) < ($1.expiresAt, $1.uid) }
    }

    /// The number of entries held, expired ones included until read.
    public var count: Int { self.entries.count }

    /// `uid`'s entry and refresh token, when it has both and has not expired.
    func refreshJob(for uid: UInt32) -> RefreshJob? {
        guard let entry = self.entry(for: uid), let refreshToken = entry.refreshToken else { return nil }
        return RefreshJob(uid: uid, token: entry.token, refreshToken: refreshToken)
    }

    /// Replaces the entry `job` was made from with `token`, unless the uid handed in another
    /// token, logged out or was refreshed meanwhile.
    /// - Parameters:
    ///   - job: The entry as it was when the refresh started.
    ///   - token: The verified, refreshed token.
    ///   - refreshToken: The refresh token to keep: a rotated one, or the job's own.
    /// - Returns: Whether the entry was replaced.
    func complete(_ job: RefreshJob, with token: VerifiedToken, refreshToken: RefreshToken) -> Bool {
        guard self.isUnchanged(job) else { return false }
        self.entries[job.uid] = Entry(token: token, refreshToken: refreshToken)
        return true
    }

    /// Drops the refresh token of the entry `job` was made from, keeping its token until it
    /// expires, unless the entry changed meanwhile.
    /// - Returns: Whether it was dropped.
    @discardableResult
    func dropRefreshToken(_ job: RefreshJob) -> Bool {
        guard self.isUnchanged(job) else { return false }
        self.entries[job.uid]?.refreshToken = nil
        return true
    }

    /// How long before `token`'s expiry it needs refreshing.
    private func window(of token: VerifiedToken) -> TimeInterval {
        guard let issuedAt = token.issuedAt else { return self.refreshWindow }
        return min(self.refreshWindow, max(token.expiresAt.timeIntervalSince(issuedAt) / 2, 0))
    }

    private func isUnchanged(_ job: RefreshJob) -> Bool {
        guard let entry = self.entry(for: job.uid) else { return false }
        return entry.token == job.token && entry.refreshToken == job.refreshToken
    }

    private func entry(for uid: UInt32) -> Entry? {
        guard let entry = self.entries[uid] else { return nil }
        guard entry.token.expiresAt > self.now() else {
            self.entries[uid] = nil
            return nil
        }
        return entry
    }
}
