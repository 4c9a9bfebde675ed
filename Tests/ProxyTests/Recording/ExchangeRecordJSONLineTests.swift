import Foundation
import Identity
import Masking
import Testing

@testable import Proxy

@Suite("exchanges.jsonl lines")
struct ExchangeRecordJSONLineTests {
    /// What `JSONEncoder` (sorted keys, the record's own date format) writes, for comparison.
    private static func encoderLine(_ record: ExchangeRecord) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(record)
    }

    private static func parsed(_ data: Data) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    @Test("a full record: the same document as JSONEncoder's, keys sorted, one line")
    func fullRecord() throws {
        var record = ExchangeRecord(kind: .exchange, connectionID: "c-17", time: Date(timeIntervalSince1970: 1_765_000_000.25))
        record.uid = 1000
        record.principal = PrincipalSummary(
            Principal(
                subject: "jane", email: "jane@example.com", groups: ["dev", "ml"], issuer: "https://idp.example",
                source: .oidc, attributes: ["repository": "org/repo"]))
        record.process = ProcessSummary(
            PeerProcess(
                pid: 4242, executable: "/usr/bin/curl", commandLine: "curl -H secret", cgroup: "/user.slice",
                container: ContainerID(runtime: "docker", id: "abc"), systemdUnit: "ci.service"))
        record.attributionUnknown = ["ci_job: no runner in the cgroup"]
        record.clientAddress = "[::1]:50000"
        record.originalDestination = "203.0.113.7:443"
        record.sni = "api.openai.com"
        record.provider = "openai"
        record.alpn = "h2"
        record.method = "POST"
        record.path = "/v1/chat/completions?q=\"quoted\"\\back\nline\u{1}/é"
        record.status = 200
        record.requestBytes = 180
        record.responseBytes = 812
        record.durationMilliseconds = 12.345678
        record.timeToFirstByteMilliseconds = 3
        record.error = nil
        var tally = FindingTally()
        tally.add(
            [MaskingFinding(ruleID: "email", entity: .email, action: .redact, inputRange: 5..<21, outputRange: 5..<12, replacement: "[EMAIL]")],
            direction: .request)
        record.findings = tally.entries

        let line = try record.jsonLine()
        #expect(!line.contains(UInt8(ascii: "\n")))
        #expect(try Self.parsed(Data(line)) == Self.parsed(Self.encoderLine(record)))
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.hasPrefix(#"{"alpn":"h2","attribution_unknown":["#))
        #expect(text.contains(#""error":null"#))
        #expect(!text.contains("curl -H secret"))
    }

    @Test("a bare record: every top-level key present as null, nested unknowns left out")
    func bareRecord() throws {
        var record = ExchangeRecord(kind: .error, connectionID: "c-1")
        record.process = ProcessSummary(PeerProcess(pid: 7))
        let line = try record.jsonLine()
        let ours = try Self.parsed(Data(line))
        #expect(ours == (try Self.parsed(Self.encoderLine(record))))
        #expect(ours.count == 21)
        #expect((ours["process"] as? NSDictionary)?.allKeys.count == 1)
        #expect(ours["sni"] is NSNull)
    }
}
