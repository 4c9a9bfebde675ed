/// How to reach an OpenTelemetry collector over OTLP/HTTP with JSON encoding.
public struct OTLPSinkConfiguration: Sendable, Hashable {
    /// The sink's name; it keys the cursor.
    public var name: String
    /// `http` or `https`, from `endpoint`.
    public var useTLS: Bool
    /// Host and port from `endpoint` (port 4318 when omitted).
    public var address: SinkAddress
    /// Path prefix from `endpoint`; requests go to `{basePath}/v1/logs`.
    public var basePath: String
    /// Extra request headers (`headers`), such as `Authorization`.
    public var headers: [String: String]
    /// Files for https.
    public var tls: TLSFiles
    /// How long one export may take (`timeout_seconds`), default 30 s.
    public var timeout: Duration

    /// Creates a configuration.
    public init(
        name: String,
        useTLS: Bool,
        address: SinkAddress,
        basePath: String = "",
        headers: [String: String] = [:],
        tls: TLSFiles = TLSFiles(),
        timeout: Duration = .seconds(30)
    ) {
        self.name = name
        self.useTLS = useTLS
        self.address = address
        self.basePath = basePath
        self.headers = headers
        self.tls = tls
        self.timeout = timeout
    }

    /// The request target: `basePath` + `/v1/logs`.
    var requestPath: String {
        var base = basePath
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/logs"
    }

    /// `endpoint` as configured, for messages.
    var endpointDescription: String { "\(useTLS ? "https" : "http")://\(address)\(requestPath)" }
}
