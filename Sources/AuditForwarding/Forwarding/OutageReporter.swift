internal import Logging

/// Logs a sink outage once when it starts, then at most once per `interval` while it lasts, and
/// once when it ends; never once per retry.
struct OutageReporter: Sendable {
    let sink: String
    let interval: Duration
    private var startedAt: ContinuousClock.Instant?
    private var lastLoggedAt: ContinuousClock.Instant?
    private var attempts = 0

    init(sink: String, interval: Duration) {
        self.sink = sink
        self.interval = interval
    }

    var isInOutage: Bool { startedAt != nil }

    /// Records a failed attempt and logs if this starts an outage or `interval` has passed.
    mutating func failed(_ error: any Error, operation: String, logger: Logger, now: ContinuousClock.Instant = .now) {
        attempts += 1
        guard let startedAt else {
            self.startedAt = now
            lastLoggedAt = now
            logger.error("audit forwarding to sink failed; retrying with back-off", metadata: [
                "sink": "\(sink)", "operation": "\(operation)", "error": "\(error)",
            ])
            return
        }
        if let lastLoggedAt, now - lastLoggedAt >= interval {
            self.lastLoggedAt = now
            logger.error("audit forwarding to sink still failing", metadata: [
                "sink": "\(sink)", "operation": "\(operation)", "error": "\(error)",
                "attempts": "\(attempts)", "for": "\(now - startedAt)",
            ])
        }
    }

    /// Records a success and logs the end of an outage.
    mutating func succeeded(logger: Logger, now: ContinuousClock.Instant = .now) {
        if let startedAt {
            logger.notice("audit forwarding to sink recovered", metadata: [
                "sink": "\(sink)", "attempts": "\(attempts)", "after": "\(now - startedAt)",
            ])
        }
        startedAt = nil
        lastLoggedAt = nil
        attempts = 0
    }
}
