public import Foundation

/// The verified token each local uid handed in, keyed by uid.
///
/// The uid is always the kernel's word (`SO_PEERCRED` of the control socket, sock_diag of an
/// intercepted connection), never a request's: a token stored for one uid is only ever
/// returned for that uid. Expired entries are dropped when read.
public actor TokenCache {
    /// A uid's entry whose token will expire soon, for the refresh hook.
    public struct Expiring: Sendable, Hashable {
        public var uid: UInt32
        public var principal: Principal
        public var expiresAt: Date
    }

    private let verifier: TokenVerifier
    private let now: @Sendable () -> Date
    /// Entries this close to expiry are reported by ``needingRefresh()``.
    public let refreshWindow: TimeInterval
    private var entries: [UInt32: VerifiedToken] = [:]

    /// - Parameters:
    ///   - verifier: Checks every token before it is stored.
    ///   - refreshWindow: Seconds before expiry from which an entry needs refreshing.
    ///   - now: The wall clock expiry is judged by.
    public init(verifier: TokenVerifier, refreshWindow: TimeInterval = 300, now: @escaping @Sendable () -> Date = { Date() }) {
        self.verifier = verifier
        self.refreshWindow = refreshWindow
        self.now = now
    }

    /// Verifies `token` and stores it for `uid`, replacing that uid's earlier token.
    /// A token that fails verification leaves the uid's earlier entry as it was.
    /// - Returns: The verified token.
    /// - Throws: The verifier's `TokenError`.
    @discardableResult
    public func set(token: String, for uid: UInt32) async throws(TokenError) -> VerifiedToken {
        let verified = try await self.verifier.verify(token)
        self.entries[uid] = verified
        return verified
    }

    /// The principal of `uid`'s token, or `nil` when it has none or it expired (then dropped).
    public func principal(for uid: UInt32) -> Principal? {
        self.token(for: uid)?.principal
    }

    /// The verified token of `uid`, or `nil` when it has none or it expired (then dropped).
    public func token(for uid: UInt32) -> VerifiedToken? {
        guard let entry = self.entries[uid] else { return nil }
        guard entry.expiresAt > self.now() else {
            self.entries[uid] = nil
            return nil
        }
        return entry
    }

    /// Forgets `uid`'s token.
    /// - Returns: Whether there was one.
    @discardableResult
    public func remove(uid: UInt32) -> Bool {
        self.entries.removeValue(forKey: uid) != nil
    }

    /// The entries that expire within ``refreshWindow`` but have not expired, soonest first;
    /// expired entries are dropped. The refresher (refresh tokens) calls this on a timer.
    public func needingRefresh() -> [Expiring] {
        let now = self.now()
        var result: [Expiring] = []
        for (uid, entry) in self.entries {
            if entry.expiresAt <= now {
                self.entries[uid] = nil
            } else if entry.expiresAt.timeIntervalSince(now) <= self.refreshWindow {
                result.append(Expiring(uid: uid, principal: entry.principal, expiresAt: entry.expiresAt))
            }
        }
        return result.sorted { ($0.expiresAt, $0.uid) < ($1.expiresAt, $1.uid) }
    }

    /// The number of entries held, expired ones included until read.
    public var count: Int { self.entries.count }
}
