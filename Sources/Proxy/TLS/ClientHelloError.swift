/// Why the start of a connection is not a ClientHello the proxy can read.
///
/// Callers branch on ``code`` (e.g. splice on ``Code/notTLS``); ``message`` says exactly what
/// was wrong, for logs. Like swift-certificates' `CertificateError`, equality (and hashing)
/// considers only the code, so tests can compare against `.malformed("")`.
public struct ClientHelloError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public let code: Code

    /// A human-readable account of what was wrong.
    public let message: String

    private let file: String
    private let line: UInt

    public var description: String {
        "ClientHelloError.\(code): \(message) (\(file):\(line))"
    }

    private init(_ code: Code, _ message: String, file: String, line: UInt) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// The stream does not start with a TLS record (e.g. plain HTTP, an HTTP/2 preface, SSH).
    ///
    /// - Parameters:
    ///   - message: What was seen instead.
    ///   - file: The file where the error was detected.
    ///   - line: The line where the error was detected.
    /// - Returns: An error with ``Code/notTLS``.
    public static func notTLS(_ message: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.notTLS, message, file: file, line: line)
    }

    /// The stream starts with a TLS record of another content type than handshake.
    ///
    /// - Parameters:
    ///   - message: Which content type was seen.
    ///   - file: The file where the error was detected.
    ///   - line: The line where the error was detected.
    /// - Returns: An error with ``Code/notHandshake``.
    public static func notHandshake(_ message: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.notHandshake, message, file: file, line: line)
    }

    /// The first handshake message is not a ClientHello (e.g. a ServerHello).
    ///
    /// - Parameters:
    ///   - message: Which handshake type was seen.
    ///   - file: The file where the error was detected.
    ///   - line: The line where the error was detected.
    /// - Returns: An error with ``Code/notClientHello``.
    public static func notClientHello(_ message: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.notClientHello, message, file: file, line: line)
    }

    /// The records or the ClientHello violate the TLS encoding rules.
    ///
    /// - Parameters:
    ///   - message: Which field was wrong and how.
    ///   - file: The file where the error was detected.
    ///   - line: The line where the error was detected.
    /// - Returns: An error with ``Code/malformed``.
    public static func malformed(_ message: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.malformed, message, file: file, line: line)
    }

    /// The ClientHello would need more bytes than the parser's `maximumSize`.
    ///
    /// - Parameters:
    ///   - message: How many bytes were declared or needed, and the bound.
    ///   - file: The file where the error was detected.
    ///   - line: The line where the error was detected.
    /// - Returns: An error with ``Code/tooLarge``.
    public static func tooLarge(_ message: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.tooLarge, message, file: file, line: line)
    }

    /// The client speaks a protocol version this parser does not read (SSLv2 or a non-3.x version).
    ///
    /// - Parameters:
    ///   - message: Which version was seen.
    ///   - file: The file where the error was detected.
    ///   - line: The line where the error was detected.
    /// - Returns: An error with ``Code/unsupportedVersion``.
    public static func unsupportedVersion(_ message: String, file: String = #fileID, line: UInt = #line) -> Self {
        Self(.unsupportedVersion, message, file: file, line: line)
    }
}
