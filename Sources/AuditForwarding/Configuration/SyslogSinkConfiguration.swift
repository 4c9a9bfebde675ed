/// How to reach a syslog receiver (RFC 5424 messages, octet-counted framing).
public struct SyslogSinkConfiguration: Sendable, Hashable {
    /// Plain TCP (RFC 6587) or TLS (RFC 5425).
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        case tcp, tls
    }

    /// The sink's name; it keys the cursor.
    public var name: String
    /// The receiver (`address`); port 514 for tcp and 6514 for tls when omitted.
    public var address: SinkAddress
    /// `transport`, default `tls`.
    public var transport: Transport
    /// Files for TLS; ignored for tcp.
    public var tls: TLSFiles
    /// Syslog facility 0–23 (`facility`), default 13 ("log audit").
    public var facility: Int
    /// HOSTNAME field (`hostname`), default the machine's host name.
    public var hostname: String?
    /// Whether MSG starts with the UTF-8 BOM as RFC 5424 asks (`bom`), default `true`.
    public var utf8BOM: Bool
    /// How long the receiver's TCP stack may take to acknowledge a batch (`ack_timeout_seconds`).
    public var acknowledgementTimeout: Duration

    /// Creates a configuration with the documented defaults.
    public init(
        name: String,
        address: SinkAddress,
        transport: Transport = .tls,
        tls: TLSFiles = TLSFiles(),
        facility: Int = 13,
        hostname: String? = nil,
        utf8BOM: Bool = true,
        acknowledgementTimeout: Duration = .seconds(10)
    ) {
        self.name = name
        self.address = address
        self.transport = transport
        self.tls = tls
        self.facility = facility
        self.hostname = hostname
        self.utf8BOM = utf8BOM
        self.acknowledgementTimeout = acknowledgementTimeout
    }
}
