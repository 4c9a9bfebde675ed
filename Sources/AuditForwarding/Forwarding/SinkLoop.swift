internal import Logging
internal import ServiceLifecycle

/// Forwards events to one sink: cursor, fetch, deliver, store cursor, repeat.
struct SinkLoop: Sendable {
    let sink: any AuditSink
    let source: any ForwardingSource
    let doorbell: Doorbell
    let configuration: ForwardingService.Configuration
    let progress: ForwardingProgress
    let logger: Logger

    /// Runs until graceful shutdown (after the batch in flight) or cancellation.
    func run() async {
        var backoff = Backoff(initial: configuration.initialBackoff, maximum: configuration.maximumBackoff)
        var outage = OutageReporter(sink: sink.name, interval: configuration.outageLogInterval)

        guard var cursor = await retrying("read cursor", &backoff, &outage, { try await source.cursor(for: sink.name) }) else { return }
        await progress.cursorLoaded(cursor, sink: sink.name)

        while !Self.shouldStop {
            guard let fetched = await retrying("read events", &backoff, &outage, {
                try await source.events(after: cursor, limit: configuration.batchSize)
            }) else { return }
            // Defensive: keep seq order and never go backwards, whatever the source returns.
            let batch = fetched.filter { $0.seq > cursor }.sorted { $0.seq < $1.seq }
            guard let last = batch.last else {
                await cancelWhenGracefulShutdown { await doorbell.wait(upTo: configuration.pollInterval) }
                continue
            }
            await progress.fetched(upTo: last.seq)
            guard await retrying("deliver", &backoff, &outage, { try await sink.deliver(batch) }) != nil else {
                logger.notice("audit forwarding stopped before the batch was delivered; it is re-sent on the next start", metadata: [
                    "sink": "\(sink.name)", "from_seq": "\(batch[0].seq)", "to_seq": "\(last.seq)",
                ])
                return
            }
            guard await retrying("store cursor", &backoff, &outage, { try await source.setCursor(last.seq, for: sink.name) }) != nil else {
                return
            }
            cursor = last.seq
            await progress.delivered(upTo: last.seq, sink: sink.name)
            logger.trace("audit batch forwarded", metadata: ["sink": "\(sink.name)", "count": "\(batch.count)", "cursor": "\(cursor)"])
        }
    }

    /// Graceful shutdown or cancellation.
    private static var shouldStop: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Runs `body` until it succeeds, backing off between failures; `nil` once the loop must stop.
    private func retrying<T: Sendable>(
        _ operation: String,
        _ backoff: inout Backoff,
        _ outage: inout OutageReporter,
        _ body: () async throws -> T
    ) async -> T? {
        while true {
            do {
                let value = try await body()
                if outage.isInOutage { outage.succeeded(logger: logger) }
                backoff.reset()
                return value
            } catch {
                outage.failed(error, operation: operation, logger: logger)
                await progress.failed(error, sink: sink.name)
                if Self.shouldStop { return nil }
                let delay = backoff.nextDelay()
                logger.debug("audit forwarding retry scheduled", metadata: ["sink": "\(sink.name)", "in": "\(delay)", "error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                if Self.shouldStop { return nil }
            }
        }
    }
}
