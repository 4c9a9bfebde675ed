import ArgumentParser
import Audit
import Foundation
import Logging

/// `chaperone audit bench`: the store's own speed, for Benchmarks/audit (hidden from help).
///
/// Three numbers from one run on a scratch store: what `submit` costs the caller (the event
/// loop's share of recording an event), how many events a second group commit makes durable,
/// and the latency of one durable `append` when nothing else is queued.
struct AuditBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the audit store's append throughput and latency.",
        shouldDisplay: false)

    @Option(help: "Events submitted for the throughput run.") var events = 20_000
    @Option(help: "Sequential durable appends for the latency run.") var appends = 300
    @Option(help: "Bytes of masked body text in each event.") var payloadBytes = 2_048
    @Option(help: ArgumentHelp("Scratch directory (default: a new one under /tmp).", valueName: "dir")) var dir: String?
    @Flag(help: "Print the figures as JSON.") var json = false

    func run() async throws {
        let directory = dir ?? NSTemporaryDirectory() + "chp-audit-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var logger = Logger(label: "chaperone.audit.bench")
        logger.logLevel = .error
        let key = try AuditSigningKey.loadOrCreate(at: directory + "/signing.key")
        let store = try AuditStore(path: directory + "/audit.db", signingKey: key, options: .init(), logger: logger)
        let body = String(repeating: "lorem ipsum [EMAIL_1] dolor ", count: max(1, payloadBytes / 28))
        func draft(_ n: Int) -> AuditEventDraft {
            AuditEventDraft(
                kind: .exchangeResponse, time: Date(), session: "bench", exchange: "bench.\(n)", principal: "unix:bench(0)@host",
                policyHash: String(repeating: "a", count: 64),
                payload: .object(["status": .int(200), "body": .string(body), "n": .int(Int64(n))]))
        }
        // Throughput: submit everything (what the event loops do), then wait until durable.
        let clock = ContinuousClock()
        let drafts = (0..<events).map(draft)
        let submitStart = clock.now
        for d in drafts { store.submit(d) }
        let submitted = clock.now
        await store.flush()
        let durable = clock.now
        // Latency: one awaited append at a time.
        var latencies: [Double] = []
        for n in 0..<appends {
            let start = clock.now
            _ = try await store.append(draft(events + n))
            latencies.append(Self.microseconds(clock.now - start))
        }
        await store.close()
        latencies.sort()
        let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/audit.db")[.size] as? Int) ?? 0
        let result = Result(
            events: events, payloadBytes: payloadBytes,
            submitNanosecondsPerEvent: Self.microseconds(submitted - submitStart) * 1_000 / Double(events),
            eventsPerSecond: Double(events) / (Self.microseconds(durable - submitStart) / 1_000_000),
            appendLatencyP50Microseconds: latencies[latencies.count / 2],
            appendLatencyP99Microseconds: latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
            databaseBytesPerEvent: size / max(1, events + appends))
        if json {
            try printJSON(result)
        } else {
            print(String(format: "submit: %.0f ns/event on the caller; throughput: %.0f events/s durable; append latency p50 %.0f µs, p99 %.0f µs", result.submitNanosecondsPerEvent, result.eventsPerSecond, result.appendLatencyP50Microseconds, result.appendLatencyP99Microseconds))
        }
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000_000 + Double(duration.components.attoseconds) / 1e12
    }

    struct Result: Encodable {
        var events: Int
        var payloadBytes: Int
        var submitNanosecondsPerEvent: Double
        var eventsPerSecond: Double
        var appendLatencyP50Microseconds: Double
        var appendLatencyP99Microseconds: Double
        var databaseBytesPerEvent: Int

        enum CodingKeys: String, CodingKey {
            case events
            case payloadBytes = "payload_bytes"
            case submitNanosecondsPerEvent = "submit_ns_per_event"
            case eventsPerSecond = "events_per_second"
            case appendLatencyP50Microseconds = "append_p50_us"
            case appendLatencyP99Microseconds = "append_p99_us"
            case databaseBytesPerEvent = "db_bytes_per_event"
        }
    }
}
