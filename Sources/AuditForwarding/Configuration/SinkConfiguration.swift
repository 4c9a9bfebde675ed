/// One entry of the `sinks:` list in the configuration file.
///
/// ```yaml
/// sinks:
///   - name: siem
///     type: syslog          # syslog | jsonl | otlp
///     address: 10.0.0.5:6514
///     transport: tls        # tcp | tls
///     ca_file: /etc/chaperone/siem-ca.pem
///     facility: 13
/// ```
///
/// Decoding validates every key and names the sink and the key in its error.
public enum SinkConfiguration: Sendable, Hashable, Decodable {
    /// An RFC 5424 syslog receiver over TCP or TLS.
    case syslog(SyslogSinkConfiguration)
    /// A JSON lines file for a log shipper.
    case jsonLines(JSONLinesSinkConfiguration)
    /// An OTLP/HTTP logs endpoint.
    case otlp(OTLPSinkConfiguration)

    /// The sink's name.
    public var name: String {
        switch self {
        case .syslog(let configuration): configuration.name
        case .jsonLines(let configuration): configuration.name
        case .otlp(let configuration): configuration.name
        }
    }

    /// The keys of the configuration file, in snake_case.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, type, address, transport, facility, hostname, bom, path, endpoint, headers
        case caFile = "ca_file"
        case certFile = "cert_file"
        case keyFile = "key_file"
        case ackTimeoutSeconds = "ack_timeout_seconds"
        case timeoutSeconds = "timeout_seconds"
    }

    /// The `type` values.
    enum Kind: String, CaseIterable {
        case syslog, jsonl, otlp

        var allowedKeys: Set<CodingKeys> {
            let common: Set<CodingKeys> = [.name, .type]
            let tls: Set<CodingKeys> = [.caFile, .certFile, .keyFile]
            switch self {
            case .syslog: return common.union(tls).union([.address, .transport, .facility, .hostname, .bom, .ackTimeoutSeconds])
            case .jsonl: return common.union([.path])
            case .otlp: return common.union(tls).union([.endpoint, .headers, .timeoutSeconds])
            }
        }
    }

    /// Decodes one sink entry.
    ///
    /// - Throws: ``SinkError`` with code ``SinkError/Code/invalidConfiguration`` naming the sink
    ///   and the key.
    public init(from decoder: any Decoder) throws {
        let reader = try SinkConfigurationReader(decoder: decoder)
        switch try reader.kind() {
        case .syslog: self = .syslog(try reader.syslog())
        case .jsonl: self = .jsonLines(try reader.jsonLines())
        case .otlp: self = .otlp(try reader.otlp())
        }
    }

    /// Checks that sink names are unique (each keys its own cursor).
    ///
    /// - Throws: ``SinkError`` naming the duplicated sink.
    public static func validate(_ sinks: [SinkConfiguration]) throws(SinkError) {
        var seen = Set<String>()
        for sink in sinks where !seen.insert(sink.name).inserted {
            throw SinkError(
                .invalidConfiguration, sink: sink.name,
                "key `name`: two sinks are called \"\(sink.name)\"; give each sink a unique name (it keys the sink's cursor)")
        }
    }
}
