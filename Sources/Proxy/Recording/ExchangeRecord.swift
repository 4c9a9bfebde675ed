public import Foundation

/// One line of `exchanges.jsonl`: what happened on one request, or on one spliced or failed connection.
///
/// It carries metadata only, never a body byte (invariant 1 holds trivially until the masker lands).
/// This is the stand-in for the audit log; the field names are the ones the audit events will keep.
public struct ExchangeRecord: Encodable, Sendable, Equatable {
    /// What the line describes.
    public enum Kind: String, Encodable, Sendable {
        /// One HTTP request and its response through the TLS interception.
        case exchange
        /// A connection relayed untouched (host not on the intercept list, or no SNI).
        case splice
        /// An HTTP/1.1 connection upgraded to WebSocket and relayed as a stream.
        case websocket
        /// A connection that failed before any exchange (bad ClientHello, TLS failure, timeout).
        case error
    }

    public var time: Date
    public var kind: Kind
    public var connectionID: String
    public var uid: UInt32?
    /// Who made the call: the verified identity the uid handed in, else `unix:NAME(UID)@HOST`.
    var principal: PrincipalSummary?
    /// The process behind the connection (never its command line: it may hold secrets).
    var process: ProcessSummary?
    /// Attribution fields that could not be determined, and why.
    var attributionUnknown: [String] = []
    public var clientAddress: String?
    public var originalDestination: String?
    public var sni: String?
    public var provider: String?
    public var alpn: String?
    public var method: String?
    public var path: String?
    public var status: Int?
    public var requestBytes: Int
    public var responseBytes: Int
    public var durationMilliseconds: Double
    public var timeToFirstByteMilliseconds: Double?
    public var error: String?
    /// What masking found: rule, entity, action, direction, count, offsets. Never a value.
    var findings: [FindingTally.Entry] = []

    init(kind: Kind, connectionID: String, time: Date = Date()) {
        self.time = time
        self.kind = kind
        self.connectionID = connectionID
        self.requestBytes = 0
        self.responseBytes = 0
        self.durationMilliseconds = 0
    }

    enum CodingKeys: String, CodingKey {
        case time, kind, uid, principal, process, sni, provider, alpn, method, path, status, error, findings
        case attributionUnknown = "attribution_unknown"
        case connectionID = "conn_id"
        case clientAddress = "client"
        case originalDestination = "original_dst"
        case requestBytes = "request_bytes"
        case responseBytes = "response_bytes"
        case durationMilliseconds = "duration_ms"
        case timeToFirstByteMilliseconds = "ttfb_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        // Every key is always present (null when unknown), so consumers need no schema guessing.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encode(kind, forKey: .kind)
        try c.encode(connectionID, forKey: .connectionID)
        try c.encode(uid, forKey: .uid)
        try c.encode(principal, forKey: .principal)
        try c.encode(process, forKey: .process)
        try c.encode(attributionUnknown, forKey: .attributionUnknown)
        try c.encode(clientAddress, forKey: .clientAddress)
        try c.encode(originalDestination, forKey: .originalDestination)
        try c.encode(sni, forKey: .sni)
        try c.encode(provider, forKey: .provider)
        try c.encode(alpn, forKey: .alpn)
        try c.encode(method, forKey: .method)
        try c.encode(path, forKey: .path)
        try c.encode(status, forKey: .status)
        try c.encode(requestBytes, forKey: .requestBytes)
        try c.encode(responseBytes, forKey: .responseBytes)
        try c.encode((durationMilliseconds * 1000).rounded() / 1000, forKey: .durationMilliseconds)
        try c.encode(timeToFirstByteMilliseconds.map { ($0 * 1000).rounded() / 1000 }, forKey: .timeToFirstByteMilliseconds)
        try c.encode(error, forKey: .error)
        try c.encode(findings, forKey: .findings)
    }
}
