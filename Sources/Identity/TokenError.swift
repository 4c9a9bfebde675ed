/// An error from verifying or handing in an identity token.
///
/// Carries a ``code`` to match on, and a message that says what failed and what to do next
/// (`token expired at 2025-01-01T10:00:00Z; run `chaperone login` again`). Equal and hashable
/// by ``code`` only, so tests can compare against `TokenError(code:)`.
public struct TokenError: CodedError {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case expired
            case notYetValid
            case wrongAudience
            case unknownIssuer
            case badSignature
            case unsupportedAlgorithm
            case malformed
            case discoveryFailed
            case requestTooLarge
            case unknownOperation
        }

        private let backing: Backing

        /// `exp` is in the past (beyond the clock skew).
        public static let expired = Code(backing: .expired)
        /// `nbf` or `iat` is in the future (beyond the clock skew).
        public static let notYetValid = Code(backing: .notYetValid)
        /// `aud` does not name the audience configured for the issuer.
        public static let wrongAudience = Code(backing: .wrongAudience)
        /// `iss` is not one of the trusted issuers.
        public static let unknownIssuer = Code(backing: .unknownIssuer)
        /// The signature does not verify, or no key of the issuer's JWKS matches.
        public static let badSignature = Code(backing: .badSignature)
        /// `alg` is not RS256 or ES256 (`none` and `HS*` are always refused).
        public static let unsupportedAlgorithm = Code(backing: .unsupportedAlgorithm)
        /// Not a compact JWS, or a claim has the wrong type, or a request is not valid JSON.
        public static let malformed = Code(backing: .malformed)
        /// The issuer's discovery document, JWKS or another of its endpoints could not be
        /// fetched or read.
        public static let discoveryFailed = Code(backing: .discoveryFailed)
        /// A control socket request was longer than the limit.
        public static let requestTooLarge = Code(backing: .requestTooLarge)
        /// A control socket request named an operation the daemon does not know.
        public static let unknownOperation = Code(backing: .unknownOperation)

        /// The code's name as the control socket's JSON carries it: `expired`, `badSignature`.
        public var name: String { self.backing.rawValue }

        /// The code named `name`, if there is one.
        public init?(name: String) {
            guard let backing = Backing(rawValue: name) else { return nil }
            self.backing = backing
        }

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
}
