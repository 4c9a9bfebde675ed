/// Why a sink could not deliver a batch, or why its configuration is invalid.
///
/// The message says which sink, which address, what failed and what to check; it is meant to be
/// shown to an operator as it is. Errors are equal when their codes are.
public struct SinkError: Error, Sendable, CustomStringConvertible, Hashable {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidConfiguration, connectionFailed, tlsFailed, connectionLost, notAcknowledged
            case fileFailed, httpRejected, httpRetryable, timedOut
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        /// The configuration names an unknown type, lacks a key or has an invalid value.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The receiver could not be reached (refused, unreachable, name not resolved).
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The TLS handshake failed, usually certificate verification.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// The connection broke while a batch was in flight; the batch is re-sent.
        public static let connectionLost = Code(base: .connectionLost)
        /// The receiver's TCP stack did not acknowledge the batch in time.
        public static let notAcknowledged = Code(base: .notAcknowledged)
        /// A file could not be opened, written or synced.
        public static let fileFailed = Code(base: .fileFailed)
        /// The receiver refused the batch permanently (HTTP 4xx other than 429).
        public static let httpRejected = Code(base: .httpRejected)
        /// The receiver asked to retry (HTTP 429 or 5xx).
        public static let httpRetryable = Code(base: .httpRetryable)
        /// The receiver did not answer in time.
        public static let timedOut = Code(base: .timedOut)
    }

    /// What kind of failure this is.
    public var code: Code
    /// The sink's configured name.
    public var sink: String
    /// The operator-facing explanation: what failed and what to check.
    public var message: String
    /// Where the error was thrown, for bug reports.
    public var file: String
    /// Where the error was thrown, for bug reports.
    public var line: Int

    /// Creates an error for `sink`.
    public init(_ code: Code, sink: String, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.sink = sink
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "sink \"\(sink)\": \(message)" }

    public static func == (lhs: SinkError, rhs: SinkError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
