/// An error from an OAuth exchange with an issuer: `chaperone login`'s device flow, or the
/// daemon's refresh of a uid's token.
///
/// Carries a ``code`` to match on, and a message that says what failed and what to do next.
/// Equal and hashable by ``code`` only, so tests can compare against `LoginError(code:)`.
/// Messages never carry a token, a device code or a refresh token.
public struct LoginError: CodedError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case notConfigured
            case deviceFlowUnsupported
            case issuerUnreachable
            case accessDenied
            case codeExpired
            case invalidGrant
            case invalidClient
            case protocolError
            case cancelled
        }

        private let backing: Backing

        /// No issuer to log in with: none configured, several and none chosen, or device flow
        /// turned off for it.
        public static let notConfigured = Code(backing: .notConfigured)
        /// The issuer's discovery document names no `device_authorization_endpoint` (or no
        /// `token_endpoint`).
        public static let deviceFlowUnsupported = Code(backing: .deviceFlowUnsupported)
        /// The issuer could not be reached, or answered with a server error or
        /// `temporarily_unavailable`; trying again later may work.
        public static let issuerUnreachable = Code(backing: .issuerUnreachable)
        /// The user declined the request at the verification page (`access_denied`).
        public static let accessDenied = Code(backing: .accessDenied)
        /// The device code expired before the user approved it (`expired_token`, or `expires_in` passed).
        public static let codeExpired = Code(backing: .codeExpired)
        /// The issuer refused the grant (`invalid_grant`): a refresh token revoked, expired or
        /// already used. The user has to log in again.
        public static let invalidGrant = Code(backing: .invalidGrant)
        /// The issuer does not know the client or does not allow it this grant
        /// (`invalid_client`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`).
        public static let invalidClient = Code(backing: .invalidClient)
        /// The issuer answered with something that is not an OAuth response, or without an ID token.
        public static let protocolError = Code(backing: .protocolError)
        /// The user stopped the login (Ctrl-C).
        public static let cancelled = Code(backing: .cancelled)

        /// The code's name: `invalidGrant`, `codeExpired`.
        public var name: String { self.backing.rawValue }

        private init(backing: Backing) {
            self.backing = backing
        }

        public var description: String { self.backing.rawValue }
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

    /// Whether the same request may succeed later without the user doing anything.
    public var isTransient: Bool { self.code == .issuerUnreachable }
}
