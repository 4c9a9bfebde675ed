import Foundation
import NIOHTTP1
import Synchronization

/// What the test issuer's device authorization and token endpoints answer, and what they saw.
struct OAuthState {
    /// One answer of the token endpoint to a device code poll.
    enum DeviceAnswer: Sendable {
        case pending, slowDown, approve, deny, expire
    }

    /// Signs the ID tokens; nil turns the OAuth endpoints off (and out of discovery).
    var signer: TestSigner?
    /// Whether discovery names the device authorization endpoint.
    var offersDeviceFlow = true
    var clientID = "chaperone"
    var subject = "alice"
    var deviceCode = "device-code-\(UInt32.random(in: 0...UInt32.max))"
    var userCode = "WDJB-MJHT"
    var interval = 5
    var expiresIn = 600
    /// The answers to successive device code polls; the last one repeats.
    var script: [DeviceAnswer] = [.pending, .pending, .slowDown, .approve]
    /// The lifetime of the ID token the device grant issues.
    var idTokenLifetime: TimeInterval = 600
    /// The lifetime of ID tokens the refresh grant issues.
    var refreshedLifetime: TimeInterval = 3600
    /// Whether a refresh issues a new refresh token and retires the old one.
    var rotate = true
    /// Whether answers carry a refresh token at all.
    var issuesRefreshTokens = true
    /// Whether a refresh answer carries an ID token.
    var refreshReturnsIDToken = true
    /// A subject for refreshed tokens other than the one logged in (a misbehaving IdP).
    var refreshSubject: String?
    /// When set, the refresh grant answers this OAuth error (status 400, or 503 for `server_error`).
    var refreshError: String?
    /// The refresh tokens the issuer would honour, with their subjects.
    var validRefreshTokens: [String: String] = [:]
    /// Every refresh token issued, in order.
    var issuedRefreshTokens: [String] = []
    /// Every ID token issued, in order.
    var issuedIDTokens: [String] = []
    /// Decoded forms of every POST, in order, with their path.
    var requests: [(path: String, form: [String: String])] = []
}

extension TestIssuer {
    /// Turns on the OAuth endpoints, signing ID tokens with `signer`.
    func enableOAuth(signer: TestSigner, configure: (inout OAuthState) -> Void = { _ in }) {
        self.oauth.withLock { state in
            state.signer = signer
            configure(&state)
        }
    }

    /// Forgets every refresh token: the next refresh gets `invalid_grant`.
    func revokeRefreshTokens() {
        self.oauth.withLock { $0.validRefreshTokens = [:] }
    }

    /// The forms POSTed to `path` (`/token`, `/device/code`).
    func forms(posted path: String) -> [[String: String]] {
        self.oauth.withLock { $0.requests.filter { $0.path == path }.map(\.form) }
    }

    /// The discovery members of the OAuth endpoints.
    var oauthDiscovery: [String: String] {
        self.oauth.withLock { state in
            guard state.signer != nil else { return [:] }
            var members = ["token_endpoint": self.identifier + "/token"]
            if state.offersDeviceFlow { members["device_authorization_endpoint"] = self.identifier + "/device/code" }
            return members
        }
    }

    /// Answers a POST to the OAuth endpoints, or nil for any other request.
    func respondOAuth(method: HTTPMethod, path: String, body: Data) -> (HTTPResponseStatus, Data)? {
        let prefix = self.url.path
        guard method == .POST, path == prefix + "/token" || path == prefix + "/device/code" else { return nil }
        let route = String(path.dropFirst(prefix.count))
        let form = Self.decodeForm(body)
        return self.oauth.withLock { state -> (HTTPResponseStatus, Data)? in
            guard let signer = state.signer else { return nil }
            state.requests.append((route, form))
            guard form["client_id"] == state.clientID else {
                return Self.error("invalid_client", status: .unauthorized, description: "unknown client")
            }
            if route == "/device/code" {
                return Self.json([
                    "device_code": state.deviceCode, "user_code": state.userCode,
                    "verification_uri": self.identifier + "/device",
                    "verification_uri_complete": self.identifier + "/device?user_code=" + state.userCode,
                    "expires_in": state.expiresIn, "interval": state.interval,
                ])
            }
            switch form["grant_type"] {
            case "urn:ietf:params:oauth:grant-type:device_code":
                guard form["device_code"] == state.deviceCode else { return Self.error("invalid_grant") }
                let answer = state.script.count > 1 ? state.script.removeFirst() : (state.script.first ?? .approve)
                switch answer {
                case .pending: return Self.error("authorization_pending")
                case .slowDown: return Self.error("slow_down")
                case .deny: return Self.error("access_denied", description: "the user declined")
                case .expire: return Self.error("expired_token")
                case .approve:
                    return self.issue(subject: state.subject, lifetime: state.idTokenLifetime, signer: signer, state: &state, withIDToken: true)
                }
            case "refresh_token":
                if let error = state.refreshError {
                    return Self.error(error, status: error == "server_error" ? .serviceUnavailable : .badRequest)
                }
                guard let presented = form["refresh_token"], let subject = state.validRefreshTokens[presented] else {
                    return Self.error("invalid_grant", description: "refresh token is not active")
                }
                if state.rotate { state.validRefreshTokens[presented] = nil }
                return self.issue(
                    subject: state.refreshSubject ?? subject, lifetime: state.refreshedLifetime, signer: signer, state: &state,
                    withIDToken: state.refreshReturnsIDToken, refreshToken: state.rotate ? nil : presented)
            default:
                return Self.error("unsupported_grant_type")
            }
        }
    }

    /// A token response: an ID token for `subject`, and a refresh token (a new one unless `refreshToken` is given).
    private func issue(
        subject: String, lifetime: TimeInterval, signer: TestSigner, state: inout OAuthState, withIDToken: Bool,
        refreshToken: String? = nil
    ) -> (HTTPResponseStatus, Data) {
        var answer: [String: Any] = ["access_token": "at-\(UUID().uuidString)", "token_type": "Bearer", "expires_in": 300]
        if withIDToken {
            var claims = self.claims(subject: subject, audience: state.clientID, lifetime: lifetime)
            claims["jti"] = UUID().uuidString  // two tokens of one second differ
            let idToken = try! signer.sign(claims)
            state.issuedIDTokens.append(idToken)
            answer["id_token"] = idToken
        }
        if state.issuesRefreshTokens {
            let token = refreshToken ?? "rt-\(UUID().uuidString)"
            if refreshToken == nil {
                state.issuedRefreshTokens.append(token)
                state.validRefreshTokens[token] = subject
            }
            answer["refresh_token"] = token
        }
        return Self.json(answer)
    }

    private static func json(_ object: [String: Any], status: HTTPResponseStatus = .ok) -> (HTTPResponseStatus, Data) {
        (status, try! JSONSerialization.data(withJSONObject: object))
    }

    private static func error(_ code: String, status: HTTPResponseStatus = .badRequest, description: String? = nil) -> (HTTPResponseStatus, Data) {
        var object: [String: Any] = ["error": code]
        if let description { object["error_description"] = description }
        return self.json(object, status: status)
    }

    /// `application/x-www-form-urlencoded` to a dictionary.
    static func decodeForm(_ body: Data) -> [String: String] {
        var form: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            form[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return form
    }
}
