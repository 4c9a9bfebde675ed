/// An error thrown by the `Identity` module.
///
/// Carries a ``code`` to match on, and a message that says what failed and what to do next.
/// Equal and hashable by ``code`` only, so tests can compare against `IdentityError(code:)`.
public struct IdentityError: CodedError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case netlinkUnavailable
            case netlinkIO
            case invalidAddress
            case protocolError
        }

        private let backing: Backing

        /// The NETLINK_SOCK_DIAG socket could not be opened or bound.
        public static let netlinkUnavailable = Code(backing: .netlinkUnavailable)
        /// Sending a request or receiving its answer failed.
        public static let netlinkIO = Code(backing: .netlinkIO)
        /// An ``IPEndpoint`` address is not a numeric IPv4 or IPv6 address.
        public static let invalidAddress = Code(backing: .invalidAddress)
        /// The kernel answered with something that is not a sock_diag reply.
        public static let protocolError = Code(backing: .protocolError)

        public var description: String { String(describing: self.backing) }
    }

    /// The kind of failure; the only field that takes part in equality.
    public let code: Code
    /// What failed and what to do next.
    public let message: String
    /// Where the error was made.
    public let file: String
    public let line: UInt

    /// Makes an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What failed and what to do next.
    public init(code: Code, message: String = "", file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }
}
