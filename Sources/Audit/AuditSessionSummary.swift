public import Foundation

/// One client connection, summarised from its `session.open` and `session.close` events.
public struct AuditSessionSummary: Sendable, Hashable {
    /// The session id.
    public var session: String
    /// When the connection was accepted.
    public var opened: Date
    /// When it ended; `nil` while open (or if the daemon died first).
    public var closed: Date?
    /// The principal's subject string.
    public var principal: String?
    /// The client's executable path.
    public var executable: String?
    /// The TLS server name the client asked for.
    public var sni: String?
    /// The provider the host belongs to.
    public var provider: String?
    /// Exchanges on the connection (from `session.close`, else counted).
    public var exchanges: Int
    /// Bytes from the client.
    public var bytesIn: Int64?
    /// Bytes to the client.
    public var bytesOut: Int64?
    /// Why the connection failed, if it did.
    public var error: String?

    public init(
        session: String, opened: Date, closed: Date? = nil, principal: String? = nil, executable: String? = nil,
        sni: String? = nil, provider: String? = nil, exchanges: Int = 0, bytesIn: Int64? = nil,
        bytesOut: Int64? = nil, error: String? = nil
    ) {
        self.session = session
        self.opened = opened
        self.closed = closed
        self.principal = principal
        self.executable = executable
        self.sni = sni
        self.provider = provider
        self.exchanges = exchanges
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.error = error
    }

    /// Builds the summary from a session's open event and, when there is one, its close event.
    init(open: AuditEvent, close: AuditEvent?, countedExchanges: Int) {
        let payload = open.payload
        self.init(
            session: open.session ?? "", opened: open.time, closed: close?.time,
            principal: open.principal ?? payload["principal"]?["subject"]?.stringValue,
            executable: payload["process"]?["executable"]?.stringValue, sni: payload["sni"]?.stringValue,
            provider: payload["provider"]?.stringValue,
            exchanges: close?.payload["exchanges"]?.intValue.map { Int($0) } ?? countedExchanges,
            bytesIn: close?.payload["bytes_in"]?.intValue, bytesOut: close?.payload["bytes_out"]?.intValue,
            error: close?.payload["error"]?.stringValue)
    }
}
