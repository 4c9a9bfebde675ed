import AuditForwarding
import Foundation
import NIOPosix
import Testing

@Suite("JSON lines file sink")
struct JSONLinesFileSinkTests {
    @Test("lines equal the events' JSON; rotation creates a new file and loses nothing")
    func appendAndRotate() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("audit.jsonl").path
        let rotated = path + ".1"
        let source = InMemorySource()
        await source.append(30)
        let sink = try makeSink(.jsonLines(JSONLinesSinkConfiguration(name: "shipper", path: path)), eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: testLogger("jsonl"))
        let service = try ForwardingService(source: source, sinks: [sink], configuration: fastRetries, logger: testLogger("jsonl"))
        try await withRunningService(service) {
            try await waitUntil("30 lines") { lines(path).count == 30 }
            try FileManager.default.moveItem(atPath: path, toPath: rotated)
            await source.append(30)
            service.notify()
            try await waitUntil("30 lines in the new file") { lines(path).count == 30 }
        }
        let all = lines(rotated) + lines(path)
        #expect(all == (await source.events).map(\.jsonLine))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(try await source.cursor(for: "shipper") == 60)
    }

    @Test("a missing directory gives an error naming the path and what to check")
    func unwritable() async throws {
        let sink = JSONLinesFileSink(configuration: JSONLinesSinkConfiguration(name: "shipper", path: "/nonexistent-dir/audit.jsonl"), logger: testLogger("jsonl"))
        let error = await #expect(throws: SinkError.self) { try await sink.deliver([TestEvents.make(seq: 1)]) }
        #expect(error?.code == .fileFailed)
        #expect(error?.description.contains("/nonexistent-dir/audit.jsonl") == true)
        #expect(error?.description.contains("directory exists") == true)
    }

    @Test("a new ForwardingService resumes after the stored cursor")
    func cursorSurvivesRestart() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("audit.jsonl").path
        let source = InMemorySource()
        await source.append(10)
        let configuration = JSONLinesSinkConfiguration(name: "shipper", path: path)
        let first = try ForwardingService(source: source, sinks: [JSONLinesFileSink(configuration: configuration, logger: testLogger("c"))], configuration: fastRetries, logger: testLogger("c"))
        try await withRunningService(first) {
            try await waitUntil("cursor 10") { try await source.cursor(for: "shipper") == 10 }
        }
        await source.append(15)
        let second = try ForwardingService(source: source, sinks: [JSONLinesFileSink(configuration: configuration, logger: testLogger("c"))], configuration: fastRetries, logger: testLogger("c"))
        try await withRunningService(second) {
            try await waitUntil("cursor 25") { try await source.cursor(for: "shipper") == 25 }
            let status = await second.status()
            #expect(status == [SinkStatus(name: "shipper", cursor: 25, lag: 0, lastError: nil, lastDeliveryAt: status.first?.lastDeliveryAt, connected: true)])
        }
        #expect(lines(path) == (await source.events).map(\.jsonLine))
    }
}

private func lines(_ path: String) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}
