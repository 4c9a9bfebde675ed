public import Foundation

/// One control socket request: a JSON object on one line.
///
/// The request never names a uid: the daemon takes the caller's uid from the socket
/// (`SO_PEERCRED`), so a user can only set, read or drop their own token.
public struct ControlRequest: Sendable, Hashable, Codable {
    /// The operation.
    public struct Operation: RawRepresentable, Sendable, Hashable, Codable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Verify `token` and store it for the caller's uid, with the refresh token in
        /// `arguments["refresh_token"]` when there is one (``ControlRequest/tokenSet(_:refreshToken:)``).
        public static let tokenSet = Operation(rawValue: "token.set")
        /// The caller's principal: their token's, or the unix fallback (`verified: false`).
        public static let whoami = Operation(rawValue: "whoami")
        /// Forget the caller's token.
        public static let logout = Operation(rawValue: "logout")
    }

    public var op: Operation
    /// The ID token, for ``Operation/tokenSet``.
    public var token: String?
    /// Named string arguments of operations the daemon adds beyond the token ones
    /// (`approvals.approve` takes `id` and `reason`, for example).
    public var arguments: [String: String]?

    public init(op: Operation, token: String? = nil, arguments: [String: String]? = nil) {
        self.op = op
        self.token = token
        self.arguments = arguments
    }

    /// The argument of ``Operation/tokenSet`` that carries the refresh token.
    public static let refreshTokenArgument = "refresh_token"

    /// A ``Operation/tokenSet`` request: the ID token, and the refresh token the daemon keeps
    /// (in memory, for the caller's uid only) to renew it before it expires.
    public static func tokenSet(_ token: String, refreshToken: RefreshToken? = nil) -> ControlRequest {
        ControlRequest(
            op: .tokenSet, token: token,
            arguments: refreshToken.map { [Self.refreshTokenArgument: $0.value] })
    }

    /// The refresh token of a ``Operation/tokenSet`` request, if it carries one.
    var refreshToken: RefreshToken? {
        guard let value = self.arguments?[Self.refreshTokenArgument], !value.isEmpty else { return nil }
        return RefreshToken(value)
    }
}

/// One control socket response: a JSON object on one line.
public struct ControlResponse: Sendable, Hashable, Codable {
    /// A refused request: a ``TokenError/Code`` name and what to do about it.
    public struct Failure: Sendable, Hashable, Codable {
        /// `expired`, `badSignature`, `malformed`, … (``TokenError/Code/name``).
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var ok: Bool
    public var principal: Principal?
    /// Whether ``principal`` comes from a verified token (`false` for the unix fallback).
    public var verified: Bool?
    /// When the token expires.
    public var expiresAt: Date?
    /// For `logout`: whether a token was dropped.
    public var removed: Bool?
    /// For `token.set` and `whoami` with a verified token: whether the daemon holds a refresh
    /// token for it and renews it before it expires. Never the refresh token itself.
    public var refreshTokenHeld: Bool?
    /// The answer of an operation beyond the token ones, as one JSON document in a string (its
    /// shape belongs to the operation; the CLI decodes it).
    public var result: String?
    public var error: Failure?

    public init(
        ok: Bool,
        principal: Principal? = nil,
        verified: Bool? = nil,
        expiresAt: Date? = nil,
        removed: Bool? = nil,
        refreshTokenHeld: Bool? = nil,
        result: String? = nil,
        error: Failure? = nil
    ) {
        self.ok = ok
        self.principal = principal
        self.verified = verified
        self.expiresAt = expiresAt
        self.removed = removed
        self.refreshTokenHeld = refreshTokenHeld
        self.result = result
        self.error = error
    }

    /// A refusal with a code of the operation's own and a message saying what to do.
    public static func refusal(code: String, message: String) -> ControlResponse {
        ControlResponse(ok: false, error: Failure(code: code, message: message))
    }

    /// A refusal carrying `error`'s code and message.
    public init(_ error: TokenError) {
        self.init(ok: false, error: Failure(code: error.code.name, message: error.message))
    }

    /// The refusal as a `TokenError`, for callers that throw; `nil` when ``ok``.
    public var tokenError: TokenError? {
        guard !self.ok, let error = self.error else { return nil }
        return TokenError(code: TokenError.Code(name: error.code) ?? .malformed, message: error.message)
    }
}

/// The JSON coding of control socket messages: one line each, dates in ISO 8601.
enum ControlCoding {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }
}
