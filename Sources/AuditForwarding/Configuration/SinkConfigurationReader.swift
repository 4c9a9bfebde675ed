internal import Foundation

/// Reads one `sinks:` entry key by key, producing errors that name the sink and the key.
struct SinkConfigurationReader {
    typealias Key = SinkConfiguration.CodingKeys

    private let container: KeyedDecodingContainer<Key>
    let name: String

    init(decoder: any Decoder) throws {
        let raw = try decoder.container(keyedBy: AnyKey.self)
        container = try decoder.container(keyedBy: Key.self)
        guard container.contains(.name) else {
            throw SinkError(.invalidConfiguration, sink: "?", "key `name` is missing; every sink needs a unique name")
        }
        let name = (try? container.decode(String.self, forKey: .name)) ?? ""
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw SinkError(
                .invalidConfiguration, sink: name,
                "key `name`: use letters, digits, '-', '_' or '.' (the name keys the sink's cursor)")
        }
        self.name = name
        let known = Set(Key.allCases.map(\.stringValue))
        if let unknown = raw.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw invalid(unknown.stringValue, "unknown key; known keys are \(Key.allCases.map(\.stringValue).sorted().joined(separator: ", "))")
        }
    }

    func kind() throws -> SinkConfiguration.Kind {
        let text = try required(String.self, .type)
        guard let kind = SinkConfiguration.Kind(rawValue: text) else {
            throw invalid(.type, "\"\(text)\" is not a sink type; use syslog, jsonl or otlp")
        }
        let rejected = Set(container.allKeys).subtracting(kind.allowedKeys)
        if let key = rejected.map(\.stringValue).sorted().first {
            throw invalid(key, "does not apply to type \(text); remove it")
        }
        return kind
    }

    func syslog() throws -> SyslogSinkConfiguration {
        let transportText = try optional(String.self, .transport) ?? "tls"
        guard let transport = SyslogSinkConfiguration.Transport(rawValue: transportText) else {
            throw invalid(.transport, "\"\(transportText)\" is not a transport; use tcp or tls")
        }
        let addressText = try required(String.self, .address)
        guard let address = SinkAddress(parsing: addressText, defaultPort: transport == .tls ? 6514 : 514) else {
            throw invalid(.address, "\"\(addressText)\" is not host:port (for IPv6, [addr]:port)")
        }
        let facility = try optional(Int.self, .facility) ?? 13
        guard (0...23).contains(facility) else {
            throw invalid(.facility, "\(facility) is out of range; use 0–23 (13 is \"log audit\", 4 \"security\", 16–23 local0–local7)")
        }
        let tls = try tlsFiles()
        if transport == .tcp, tls != TLSFiles() {
            throw invalid(.transport, "ca_file, cert_file and key_file need transport: tls")
        }
        let hostname = try optional(String.self, .hostname)
        if let hostname, hostname.isEmpty || hostname.utf8.count > 255 || !hostname.utf8.allSatisfy({ (33...126).contains($0) }) {
            throw invalid(.hostname, "use 1–255 printable ASCII characters without spaces")
        }
        return SyslogSinkConfiguration(
            name: name, address: address, transport: transport, tls: tls, facility: facility, hostname: hostname,
            utf8BOM: try optional(Bool.self, .bom) ?? true,
            acknowledgementTimeout: try seconds(.ackTimeoutSeconds) ?? .seconds(10))
    }

    func jsonLines() throws -> JSONLinesSinkConfiguration {
        let path = try required(String.self, .path)
        guard path.hasPrefix("/") else { throw invalid(.path, "\"\(path)\" is relative; use an absolute path") }
        return JSONLinesSinkConfiguration(name: name, path: path)
    }

    func otlp() throws -> OTLPSinkConfiguration {
        let endpoint = try required(String.self, .endpoint)
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil
        else {
            throw invalid(.endpoint, "\"\(endpoint)\" is not an http:// or https:// URL such as https://otel.example.com:4318")
        }
        let useTLS = scheme == "https"
        let tls = try tlsFiles()
        if !useTLS, tls != TLSFiles() {
            throw invalid(.endpoint, "ca_file, cert_file and key_file need an https:// endpoint")
        }
        let headers = try optional([String: String].self, .headers) ?? [:]
        let reserved: Set<String> = ["host", "content-length", "content-type", "connection", "transfer-encoding"]
        if let bad = headers.keys.first(where: { reserved.contains($0.lowercased()) || $0.isEmpty || $0.contains(where: { $0 == ":" || $0.isWhitespace }) }) {
            throw invalid(.headers, "header \"\(bad)\" cannot be set; chaperone sets Host, Content-Type, Content-Length and Connection itself")
        }
        var path = url.path
        if path.hasSuffix("/v1/logs") { path.removeLast("/v1/logs".count) }
        let hostText = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return OTLPSinkConfiguration(
            name: name, useTLS: useTLS, address: SinkAddress(host: hostText, port: url.port ?? 4318), basePath: path,
            headers: headers, tls: tls, timeout: try seconds(.timeoutSeconds) ?? .seconds(30))
    }

    private func tlsFiles() throws -> TLSFiles {
        let files = TLSFiles(
            caFile: try optional(String.self, .caFile), certificateFile: try optional(String.self, .certFile),
            privateKeyFile: try optional(String.self, .keyFile))
        if (files.certificateFile == nil) != (files.privateKeyFile == nil) {
            throw invalid(files.certificateFile == nil ? .certFile : .keyFile, "cert_file and key_file go together for mutual TLS; set both or neither")
        }
        return files
    }

    private func seconds(_ key: Key) throws -> Duration? {
        guard let value = try optional(Double.self, key) else { return nil }
        guard value > 0, value <= 3600 else { throw invalid(key, "\(value) is out of range; use 0 < seconds ≤ 3600") }
        return .milliseconds(Int64(value * 1000))
    }

    private func required<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        guard let value = try optional(type, key) else { throw invalid(key, "is missing") }
        return value
    }

    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        do {
            return try container.decodeIfPresent(type, forKey: key)
        } catch {
            throw invalid(key, "expected \(Self.describe(type))")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "a map of strings"
        }
    }

    private func invalid(_ key: Key, _ problem: String) -> SinkError { invalid(key.stringValue, problem) }

    private func invalid(_ key: String, _ problem: String) -> SinkError {
        SinkError(.invalidConfiguration, sink: name, "key `\(key)`: \(problem)")
    }

    /// Any key, to find misspelt ones.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
