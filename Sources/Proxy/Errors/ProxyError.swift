/// An error on the data path; the message says what failed and, where a person can act, what to do.
public struct ProxyError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        case originalDestinationUnavailable
        case redirectLoop
        case clientHelloInvalid
        case clientHelloTimeout
        case noServerName
        case upstreamUnreachable
        case upstreamCertificateInvalid
        case upstreamTimeout
        case upstreamClosed
        case upstreamUnreadable
        case clientClosed
        case idleTimeout
        case bindFailed
    }

    public let code: Code
    public let message: String
    let file: String
    let line: Int

    init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
