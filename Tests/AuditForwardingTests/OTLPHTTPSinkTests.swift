import AuditForwarding
import Foundation
import NIOHTTP1
import NIOPosix
import Testing

@Suite("OTLP/HTTP logs sink")
struct OTLPHTTPSinkTests {
    @Test("the body is OTLP JSON with the resource, scope, record fields and attributes")
    func bodyShape() async throws {
        let server = try await RecordingHTTPServer()
        let source = InMemorySource()
        await source.append(25)
        let sink = try makeSink(
            .otlp(OTLPSinkConfiguration(
                name: "otel", useTLS: false, address: SinkAddress(host: "127.0.0.1", port: server.port), basePath: "/otlp",
                headers: ["Authorization": "Bearer test-token"])),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: testLogger("otlp"))
        let service = try ForwardingService(source: source, sinks: [sink], configuration: fastRetries, logger: testLogger("otlp"))
        try await withRunningService(service) {
            try await waitUntil("cursor 25") { try await source.cursor(for: "otel") == 25 }
        }
        try await server.shutdown()
        let requests = server.requests
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.method == .POST)
        #expect(request.uri == "/otlp/v1/logs")
        #expect(request.headers["Content-Type"] == ["application/json"])
        #expect(request.headers["Authorization"] == ["Bearer test-token"])

        let root = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        let resourceLogs = try #require((root["resourceLogs"] as? [[String: Any]])?.first)
        let resource = try #require(resourceLogs["resource"] as? [String: Any])
        let resourceAttributes = attributes(resource["attributes"])
        #expect(resourceAttributes["service.name"]?["stringValue"] as? String == "chaperone")
        #expect(resourceAttributes["host.name"]?["stringValue"] is String)
        let scopeLogs = try #require((resourceLogs["scopeLogs"] as? [[String: Any]])?.first)
        #expect((scopeLogs["scope"] as? [String: Any])?["name"] as? String == "chaperone.audit")
        let records = try #require(scopeLogs["logRecords"] as? [[String: Any]])
        let events = await source.events
        #expect(records.count == events.count)
        for (record, event) in zip(records, events) {
            #expect((record["body"] as? [String: Any])?["stringValue"] as? String == event.jsonLine)
            #expect(record["timeUnixNano"] is String)
            #expect(record["observedTimeUnixNano"] is String)
            #expect(record["eventName"] as? String == event.kind)
            let expectedSeverity = event.kind.hasPrefix("audit.") || (event.kind == "policy.decision" && event.jsonLine.contains("\"deny\"")) ? 10 : 9
            #expect(record["severityNumber"] as? Int == expectedSeverity)
            let recordAttributes = attributes(record["attributes"])
            #expect(recordAttributes["chaperone.seq"]?["intValue"] as? String == String(event.seq))
            #expect(recordAttributes["chaperone.event_id"]?["stringValue"] as? String == event.id)
            #expect(recordAttributes["chaperone.kind"]?["stringValue"] as? String == event.kind)
        }
        let first = try #require(records.first?["timeUnixNano"] as? String)
        #expect(first == String(Int64((events[0].time.timeIntervalSince1970 * 1_000_000).rounded())) + "000")
    }

    @Test("503 twice then 200: delivered once after retries, cursor correct")
    func retriesOnServiceUnavailable() async throws {
        let server = try await RecordingHTTPServer(answering: [.serviceUnavailable, .serviceUnavailable])
        let source = InMemorySource()
        await source.append(5)
        let sink = try OTLPHTTPSink(
            configuration: OTLPSinkConfiguration(name: "otel", useTLS: false, address: SinkAddress(host: "127.0.0.1", port: server.port)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: testLogger("otlp"))
        let service = try ForwardingService(source: source, sinks: [sink], configuration: fastRetries, logger: testLogger("otlp"))
        try await withRunningService(service) {
            try await waitUntil("cursor 5") { try await source.cursor(for: "otel") == 5 }
            let status = try #require(await service.status().first)
            #expect(status.cursor == 5 && status.lag == 0 && status.lastError == nil)
        }
        try await server.shutdown()
        let requests = server.requests
        #expect(requests.count == 3)
        // The same batch each time (only observedTimeUnixNano differs).
        let bodies = try requests.map { request in
            let root = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
            let scope = try #require(((root["resourceLogs"] as? [[String: Any]])?.first?["scopeLogs"] as? [[String: Any]])?.first)
            return try #require(scope["logRecords"] as? [[String: Any]]).compactMap { ($0["body"] as? [String: Any])?["stringValue"] as? String }
        }
        let expected = await source.events.map(\.jsonLine)
        #expect(bodies == [expected, expected, expected])
    }

    @Test("a 400 is a permanent error with the status and a hint; it is not skipped")
    func rejected() async throws {
        let server = try await RecordingHTTPServer(answering: [.badRequest])
        let sink = try OTLPHTTPSink(
            configuration: OTLPSinkConfiguration(name: "otel", useTLS: false, address: SinkAddress(host: "127.0.0.1", port: server.port)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: testLogger("otlp"))
        let error = await #expect(throws: SinkError.self) { try await sink.deliver([TestEvents.make(seq: 1)]) }
        #expect(error?.code == .httpRejected)
        #expect(error?.description.contains("400") == true)
        try await sink.deliver([TestEvents.make(seq: 1)])
        await sink.close()
        try await server.shutdown()
    }

    private func attributes(_ value: Any?) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for entry in value as? [[String: Any]] ?? [] {
            if let key = entry["key"] as? String, let value = entry["value"] as? [String: Any] { result[key] = value }
        }
        return result
    }
}
