public import Logging
public import ServiceLifecycle

/// Forwards audit events from the store to every configured sink, one loop per sink.
///
/// Each loop reads the sink's cursor, fetches up to `batchSize` events after it, delivers them and
/// stores the last delivered `seq` as the new cursor. With nothing to send it waits for
/// ``notify()`` or the poll interval. A failed delivery is retried with the same batch after an
/// exponential back-off (at most 30 s); the outage is logged when it starts, then once a minute.
/// Events therefore reach each sink in `seq` order, none skipped, none twice except a batch
/// re-sent after a failure. A slow or failing sink never holds up the others.
///
/// On graceful shutdown a loop finishes the batch in flight (without retrying it) and the sinks
/// are closed; the cursor then resumes where delivery stopped.
public final class ForwardingService: Service {
    /// Tuning; the defaults suit production.
    public struct Configuration: Sendable {
        /// Events per delivery.
        public var batchSize: Int
        /// How long to wait for ``ForwardingService/notify()`` before looking again.
        public var pollInterval: Duration
        /// First pause after a failure; doubles per failure.
        public var initialBackoff: Duration
        /// Longest pause between retries.
        public var maximumBackoff: Duration
        /// How often a continuing outage is logged again.
        public var outageLogInterval: Duration

        /// Creates a configuration.
        public init(
            batchSize: Int = 500,
            pollInterval: Duration = .seconds(1),
            initialBackoff: Duration = .milliseconds(500),
            maximumBackoff: Duration = .seconds(30),
            outageLogInterval: Duration = .seconds(60)
        ) {
            self.batchSize = max(1, batchSize)
            self.pollInterval = pollInterval
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.outageLogInterval = outageLogInterval
        }
    }

    private let source: any ForwardingSource
    private let sinks: [any AuditSink]
    private let doorbells: [String: Doorbell]
    private let configuration: Configuration
    private let progress = ForwardingProgress()
    private let logger: Logger

    /// Creates the service; it forwards once ``run()`` is called.
    ///
    /// - Parameters:
    ///   - source: The audit store.
    ///   - sinks: The sinks; their names must be unique (each keys a cursor).
    ///   - configuration: Batch size, poll interval, back-off.
    ///   - logger: The caller's logger.
    /// - Throws: ``SinkError`` when two sinks share a name.
    public init(source: any ForwardingSource, sinks: [any AuditSink], configuration: Configuration = Configuration(), logger: Logger) throws(SinkError) {
        var doorbells: [String: Doorbell] = [:]
        for sink in sinks {
            guard doorbells[sink.name] == nil else {
                throw SinkError(.invalidConfiguration, sink: sink.name, "two sinks are called \"\(sink.name)\"; give each sink a unique name (it keys the sink's cursor)")
            }
            doorbells[sink.name] = Doorbell()
        }
        self.source = source
        self.sinks = sinks
        self.doorbells = doorbells
        self.configuration = configuration
        self.logger = logger
    }

    /// Tells the loops that new events were committed, so they forward them without waiting for
    /// the poll interval. Cheap and callable from any thread.
    public func notify() {
        for doorbell in doorbells.values { doorbell.ring() }
    }

    /// Runs one loop per sink until graceful shutdown or cancellation, then closes the sinks.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for sink in sinks {
                let loop = SinkLoop(
                    sink: sink, source: source, doorbell: doorbells[sink.name]!, configuration: configuration,
                    progress: progress, logger: logger)
                group.addTask { await loop.run() }
            }
            await withGracefulShutdownHandler {
                await group.waitForAll()
            } onGracefulShutdown: { [doorbells] in
                for doorbell in doorbells.values { doorbell.ring() }
            }
        }
        for sink in sinks { await sink.close() }
    }

    /// Each sink's cursor, lag, last error and connection state.
    ///
    /// The lag is measured against the newest `seq` the store returns now, looking at most
    /// 10 000 events past what the loops have seen.
    public func status() async -> [SinkStatus] {
        var head = await progress.headSeq
        for _ in 0..<10 {
            guard let page = try? await source.events(after: head, limit: 1000), let last = page.last else { break }
            head = max(head, last.seq)
            await progress.fetched(upTo: head)
            if page.count < 1000 { break }
        }
        var statuses: [SinkStatus] = []
        for sink in sinks {
            let snapshot = await progress.snapshot(sink: sink.name)
            var cursor = snapshot.cursor
            if cursor == nil { cursor = try? await source.cursor(for: sink.name) }
            let known = cursor ?? 0
            statuses.append(
                SinkStatus(
                    name: sink.name, cursor: known, lag: max(0, head - known), lastError: snapshot.lastError,
                    lastDeliveryAt: snapshot.lastDeliveryAt, connected: await sink.isConnected))
        }
        return statuses
    }
}
