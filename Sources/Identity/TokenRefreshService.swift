public import ServiceLifecycle

/// Runs the ``TokenRefresher`` on a timer inside `chaperone run`: every ``interval`` it renews
/// the tokens within the cache's refresh window, until graceful shutdown.
///
/// The interval should be well under the cache's `refreshWindow` (30 s against 5 min), so a
/// token gets several attempts before it expires when the issuer is briefly unreachable.
public struct TokenRefreshService: Service {
    private let refresher: TokenRefresher
    /// The time between two passes.
    public let interval: Duration

    /// - Parameters:
    ///   - refresher: Does the refreshing.
    ///   - interval: The time between two passes.
    public init(refresher: TokenRefresher, interval: Duration = .seconds(30)) {
        self.refresher = refresher
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
            await self.refresher.refreshDue()
        }
    }
}
