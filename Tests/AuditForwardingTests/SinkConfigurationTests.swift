import AuditForwarding
import Foundation
import Testing

@Suite("Sink configuration")
struct SinkConfigurationTests {
    private func decode(_ json: String) throws -> [SinkConfiguration] {
        struct File: Decodable { var sinks: [SinkConfiguration] }
        return try JSONDecoder().decode(File.self, from: Data(json.utf8)).sinks
    }

    @Test("the documented example decodes")
    func example() throws {
        let sinks = try decode("""
            {"sinks": [
              {"name": "siem", "type": "syslog", "address": "10.0.0.5:6514", "transport": "tls", "ca_file": "/etc/chaperone/siem-ca.pem", "facility": 13},
              {"name": "shipper", "type": "jsonl", "path": "/var/log/chaperone/audit.jsonl"},
              {"name": "otel", "type": "otlp", "endpoint": "https://otel.example.com:4318", "headers": {"Authorization": "Bearer x"}, "ca_file": "/etc/ca.pem"}
            ]}
            """)
        #expect(sinks == [
            .syslog(SyslogSinkConfiguration(name: "siem", address: SinkAddress(host: "10.0.0.5", port: 6514), transport: .tls, tls: TLSFiles(caFile: "/etc/chaperone/siem-ca.pem"), facility: 13)),
            .jsonLines(JSONLinesSinkConfiguration(name: "shipper", path: "/var/log/chaperone/audit.jsonl")),
            .otlp(OTLPSinkConfiguration(name: "otel", useTLS: true, address: SinkAddress(host: "otel.example.com", port: 4318), headers: ["Authorization": "Bearer x"], tls: TLSFiles(caFile: "/etc/ca.pem"))),
        ])
    }

    @Test("defaults: tls on 6514, facility 13, IPv6 addresses")
    func defaults() throws {
        let sinks = try decode(#"{"sinks": [{"name": "a", "type": "syslog", "address": "siem.example.com"}, {"name": "b", "type": "syslog", "address": "[::1]:601", "transport": "tcp"}]}"#)
        #expect(sinks[0] == .syslog(SyslogSinkConfiguration(name: "a", address: SinkAddress(host: "siem.example.com", port: 6514))))
        #expect(sinks[1] == .syslog(SyslogSinkConfiguration(name: "b", address: SinkAddress(host: "::1", port: 601), transport: .tcp)))
    }

    @Test("errors name the sink and the key", arguments: [
        (#"{"name": "siem", "type": "syslog", "address": "x:1", "transport": "udp"}"#, "sink \"siem\": key `transport`"),
        (#"{"name": "siem", "type": "syslog"}"#, "sink \"siem\": key `address`: is missing"),
        (#"{"name": "siem", "type": "syslog", "address": "x:1", "facility": 24}"#, "sink \"siem\": key `facility`"),
        (#"{"name": "siem", "type": "syslog", "address": "x:1", "cafile": "/a"}"#, "sink \"siem\": key `cafile`: unknown key"),
        (#"{"name": "shipper", "type": "jsonl", "path": "audit.jsonl"}"#, "sink \"shipper\": key `path`"),
        (#"{"name": "shipper", "type": "jsonl", "path": "/a", "facility": 3}"#, "sink \"shipper\": key `facility`: does not apply"),
        (#"{"name": "otel", "type": "otlp", "endpoint": "ftp://x"}"#, "sink \"otel\": key `endpoint`"),
        (#"{"name": "otel", "type": "otlp", "endpoint": "http://x", "ca_file": "/a"}"#, "sink \"otel\": key `endpoint`"),
        (#"{"name": "x", "type": "kafka"}"#, "sink \"x\": key `type`"),
    ])
    func errors(entry: String, expected: String) throws {
        let error = #expect(throws: SinkError.self) { try decode(#"{"sinks": ["# + entry + "]}") }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description.hasPrefix(expected) == true, "\(String(describing: error))")
    }

    @Test("duplicate names are refused")
    func duplicates() throws {
        let sinks = try decode(#"{"sinks": [{"name": "a", "type": "jsonl", "path": "/a"}, {"name": "a", "type": "jsonl", "path": "/b"}]}"#)
        #expect(throws: SinkError.self) { try SinkConfiguration.validate(sinks) }
    }

    @Test("an unreadable ca_file is reported at start-up")
    func missingCAFile() throws {
        let configuration = SinkConfiguration.syslog(SyslogSinkConfiguration(name: "siem", address: SinkAddress(host: "127.0.0.1", port: 6514), tls: TLSFiles(caFile: "/nonexistent/ca.pem")))
        let error = #expect(throws: SinkError.self) { try makeSink(configuration, eventLoopGroup: .singletonMultiThreadedEventLoopGroup, logger: testLogger("c")) }
        #expect(error?.description.contains("key `ca_file`: cannot read /nonexistent/ca.pem") == true)
    }
}
