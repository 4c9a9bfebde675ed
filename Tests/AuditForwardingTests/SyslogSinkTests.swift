import AuditForwarding
import Foundation
import NIOPosix
import Testing

/// The syslog sink against a real rsyslogd (packages rsyslog, rsyslog-gnutls).
@Suite("Syslog sink against rsyslogd")
struct SyslogSinkTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test("TCP: 200 events arrive once, in order, JSON intact")
    func tcpDelivery() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let source = InMemorySource()
        await source.append(200)
        let sink = try makeSink(
            .syslog(SyslogSinkConfiguration(name: "siem", address: SinkAddress(host: "127.0.0.1", port: rsyslog.port), transport: .tcp)),
            eventLoopGroup: group, logger: testLogger("tcp"))
        let service = try ForwardingService(source: source, sinks: [sink], configuration: fastRetries, logger: testLogger("tcp"))
        let received = try await withRunningService(service) { try await rsyslog.waitForMessages(200) }
        try await rsyslog.stop()
        try expectExactlyOnceInOrder(received, expected: await source.events)
        #expect(try await source.cursor(for: "siem") == 200)
    }

    @Test("TLS: verified against the test CA; a receiver from another CA is refused")
    func tlsDelivery() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trusted = try TestCertificates(in: directory, name: "trusted")
        let other = try TestCertificates(in: directory, name: "other")
        let rsyslog = try Rsyslog(tls: .init(caFile: trusted.caFile, certificateFile: trusted.certificateFile, keyFile: trusted.keyFile))
        try await rsyslog.start()

        let source = InMemorySource()
        await source.append(200)
        let sink = try makeSink(
            .syslog(SyslogSinkConfiguration(
                name: "siem-tls", address: SinkAddress(host: "127.0.0.1", port: rsyslog.port), transport: .tls,
                tls: TLSFiles(caFile: trusted.caFile))),
            eventLoopGroup: group, logger: testLogger("tls"))
        let service = try ForwardingService(source: source, sinks: [sink], configuration: fastRetries, logger: testLogger("tls"))
        let received = try await withRunningService(service) { try await rsyslog.waitForMessages(200) }
        try expectExactlyOnceInOrder(received, expected: await source.events)

        let distrusting = try SyslogSink(
            configuration: SyslogSinkConfiguration(
                name: "wrong-ca", address: SinkAddress(host: "127.0.0.1", port: rsyslog.port), transport: .tls,
                tls: TLSFiles(caFile: other.caFile)),
            eventLoopGroup: group, logger: testLogger("tls"))
        let error = await #expect(throws: SinkError.self) { try await distrusting.deliver([TestEvents.make(seq: 1)]) }
        #expect(error?.code == .tlsFailed)
        #expect(error?.description.contains("ca_file \(other.caFile)") == true)
        #expect(error?.description.contains("127.0.0.1:\(rsyslog.port)") == true)
        await distrusting.close()
        #expect(rsyslog.messages().count == 200)
        try await rsyslog.stop()
    }

    @Test("outage: rsyslogd stopped and restarted on the same port; every event arrives exactly once")
    func outage() async throws {
        let rsyslog = try Rsyslog()
        try await rsyslog.start()
        let source = InMemorySource()
        await source.append(50)
        let sink = try SyslogSink(
            configuration: SyslogSinkConfiguration(name: "siem", address: SinkAddress(host: "127.0.0.1", port: rsyslog.port), transport: .tcp),
            eventLoopGroup: group, logger: testLogger("outage"))
        let service = try ForwardingService(source: source, sinks: [sink], configuration: fastRetries, logger: testLogger("outage"))
        let received = try await withRunningService(service) {
            _ = try await rsyslog.waitForMessages(50)
            try await rsyslog.stop()
            await source.append(100)
            service.notify()
            try await Task.sleep(for: .milliseconds(700))
            let failing = await service.status()
            #expect(failing.first?.cursor == 50)
            #expect(failing.first?.lag == 100)
            #expect(failing.first?.lastError != nil)
            try await rsyslog.start()
            let received = try await rsyslog.waitForMessages(150, timeout: .seconds(15))
            try await waitUntil("cursor 150") { try await source.cursor(for: "siem") == 150 }
            return received
        }
        try await rsyslog.stop()
        try expectExactlyOnceInOrder(received, expected: await source.events)
    }

    /// Checks that `received` holds each expected event once, in order, with its JSON unchanged.
    private func expectExactlyOnceInOrder(_ received: [String], expected: [ForwardedEvent]) throws {
        let parsed = try received.map(ReceivedSyslogMessage.init)
        #expect(parsed.map(\.id) == expected.map(\.id))
        #expect(Set(parsed.map(\.id)).count == parsed.count)
        #expect(parsed.map(\.seq) == expected.map(\.seq))
        for (message, event) in zip(parsed, expected) {
            #expect(message.json == event.jsonLine)
            let decoded = try JSONSerialization.jsonObject(with: Data(message.json.utf8)) as? NSDictionary
            let original = try JSONSerialization.jsonObject(with: Data(event.jsonLine.utf8)) as? NSDictionary
            #expect(decoded == original)
            #expect(message.msgID == event.kind)
        }
    }
}

/// The parts of a received RFC 5424 message the tests look at.
struct ReceivedSyslogMessage {
    var priority: Int
    var msgID: String
    var seq: Int64
    var id: String
    var json: String

    struct Malformed: Error { var line: String }

    init(_ line: String) throws {
        // <PRI>1 TIMESTAMP HOSTNAME APP PROCID MSGID [SD] BOM MSG
        let fields = line.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: false)
        guard fields.count == 7, fields[0].hasPrefix("<"), let close = fields[0].firstIndex(of: ">"),
            let priority = Int(fields[0][fields[0].index(after: fields[0].startIndex)..<close]),
            fields[0][close...] == ">1", fields[3] == "chaperone",
            let bom = line.range(of: "\u{FEFF}")
        else { throw Malformed(line: line) }
        self.priority = priority
        msgID = String(fields[5])
        json = String(line[bom.upperBound...])
        let structured = String(line[..<bom.lowerBound])
        guard let seqText = structured.firstMatch(of: /seq="(\d+)"/)?.1, let seq = Int64(seqText),
            let id = structured.firstMatch(of: /id="([^"]+)"/)?.1
        else { throw Malformed(line: line) }
        self.seq = seq
        self.id = String(id)
    }
}
