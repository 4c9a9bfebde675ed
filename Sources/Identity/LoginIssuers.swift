import Foundation

/// What `chaperone login` needs to know about the daemon's issuers, answered by the control
/// socket's `login.issuers` operation: the CLI asks the daemon rather than reading the
/// configuration file, so a user needs neither the file's path nor read access to it.
public struct LoginIssuers: Sendable, Hashable, Codable {
    /// One issuer a user may log in with.
    public struct Issuer: Sendable, Hashable, Codable {
        /// The issuer identifier (`iss`).
        public var issuer: String
        /// The ID tokens' audience.
        public var audience: String
        /// The OAuth client id of the device flow.
        public var clientID: String
        /// The scopes to ask for; `nil` is ``DeviceFlowClient/defaultScope``.
        public var scope: String?
        /// Whether the operator allows `chaperone login` with it (`device_flow`, default true;
        /// false for CI issuers such as GitHub Actions', which have no device flow).
        public var deviceFlow: Bool

        public init(issuer: String, audience: String, clientID: String, scope: String? = nil, deviceFlow: Bool = true) {
            self.issuer = issuer
            self.audience = audience
            self.clientID = clientID
            self.scope = scope
            self.deviceFlow = deviceFlow
        }
    }

    /// The trusted issuers, in configuration order.
    public var issuers: [Issuer]
    /// The PEM bundle the daemon verifies issuers' HTTPS with (`identity.issuer_ca_bundle`),
    /// when it is not the system store; the CLI uses the same one.
    public var caBundle: String?

    public init(issuers: [Issuer], caBundle: String? = nil) {
        self.issuers = issuers
        self.caBundle = caBundle
    }

    /// The issuer to log in with: the one named (exactly, or but for a trailing slash), else
    /// the only one that allows the device flow.
    /// - Parameter named: `--issuer`, when given.
    /// - Throws: `LoginError.Code.notConfigured` saying which issuers there are and what to pass.
    public func choose(_ named: String?) throws(LoginError) -> Issuer {
        let offered = self.issuers.filter(\.deviceFlow)
        if let named {
            func bare(_ text: String) -> String { text.hasSuffix("/") ? String(text.dropLast()) : text }
            guard let match = self.issuers.first(where: { $0.issuer == named }) ?? self.issuers.first(where: { bare($0.issuer) == bare(named) }) else {
                throw LoginError(
                    code: .notConfigured,
                    message: "issuer '\(named)' is not trusted by the daemon (trusted: \(Self.list(self.issuers))); pass one of those to --issuer, or ask the administrator to add it to `identity.issuers`")
            }
            guard match.deviceFlow else {
                throw LoginError(
                    code: .notConfigured,
                    message: "`chaperone login` is turned off for \(match.issuer) (`device_flow: false`); hand in its token with `chaperone token set`")
            }
            return match
        }
        switch offered.count {
        case 1:
            return offered[0]
        case 0 where self.issuers.isEmpty:
            throw LoginError(
                code: .notConfigured,
                message: "the daemon trusts no issuer, so there is nothing to log in with; ask the administrator to add the organisation's IdP to `identity.issuers` in chaperone.yaml")
        case 0:
            throw LoginError(
                code: .notConfigured,
                message: "no trusted issuer allows `chaperone login` (all have `device_flow: false`: \(Self.list(self.issuers))); hand in a token with `chaperone token set`")
        default:
            throw LoginError(
                code: .notConfigured,
                message: "the daemon trusts several issuers (\(Self.list(offered))); choose one with --issuer URL")
        }
    }

    private static func list(_ issuers: [Issuer]) -> String {
        issuers.isEmpty ? "none" : issuers.map(\.issuer).joined(separator: ", ")
    }
}

extension ControlRequest.Operation {
    /// The issuers `chaperone login` may use (``LoginIssuers``, JSON in ``ControlResponse/result``).
    public static let loginIssuers = ControlRequest.Operation(rawValue: "login.issuers")
}

extension LoginIssuers {
    /// The control socket handler of ``ControlRequest/Operation/loginIssuers``, for
    /// `ControlSocketServer`'s `operations:`. Anyone may ask: issuers and client ids are public.
    public var controlOperation: ControlSocketServer.OperationHandler {
        let answer: ControlResponse
        if let data = try? ControlCoding.encode(self) {
            answer = ControlResponse(ok: true, result: String(decoding: data, as: UTF8.self))
        } else {
            answer = ControlResponse.refusal(code: "malformed", message: "the daemon cannot encode its issuers")
        }
        return { _, _ in answer }
    }

    /// Reads the ``ControlResponse/result`` of a ``ControlRequest/Operation/loginIssuers`` answer.
    /// - Throws: `LoginError.Code.protocolError` when it is not one (an older daemon).
    public init(from response: ControlResponse) throws(LoginError) {
        guard let result = response.result, let decoded = try? ControlCoding.decode(LoginIssuers.self, from: Data(result.utf8)) else {
            throw LoginError(code: .protocolError, message: "the daemon's answer to login.issuers is not a list of issuers; is it an older chaperone? restart it after upgrading")
        }
        self = decoded
    }
}
