/// A receiver's host and port, parsed from `host:port`, `[v6]:port` or a bare host.
public struct SinkAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name or an IP address literal (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `text`, using `defaultPort` when it names no port; `nil` if it is malformed.
    public init?(parsing text: String, defaultPort: Int) {
        var hostPart = Substring(text)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { return nil }
            let rest = hostPart[hostPart.index(after: close)...]
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portPart = rest.dropFirst()
            }
        } else if let colon = hostPart.lastIndex(of: ":"), hostPart.firstIndex(of: ":") == colon {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0.isWhitespace || $0 == "/" }) else { return nil }
        var port = defaultPort
        if let portPart {
            guard let parsed = Int(portPart), (1...65535).contains(parsed) else { return nil }
            port = parsed
        }
        self.init(host: String(hostPart), port: port)
    }

    /// Whether `host` is an IP address literal (which cannot be sent as TLS SNI).
    var hostIsIPAddress: Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
