/// Exponential back-off: `initial`, doubling per failure up to `maximum`, with ±20 % jitter so
/// that sinks recovering together do not retry in lock-step.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var failures = 0

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The pause before the next attempt, counting one more failure.
    mutating func nextDelay() -> Duration {
        let exponent = min(failures, 30)
        failures += 1
        let base = min(initial * (1 << exponent), maximum)
        return base * Double.random(in: 0.8...1.2)
    }

    /// Forgets past failures after a success.
    mutating func reset() { failures = 0 }
}
