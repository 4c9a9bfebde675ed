public import Foundation

/// An issuer's answer to a device authorization request (RFC 8628 §3.2): what the user must
/// open and type, and what the client polls with.
///
/// The device code is the client's secret for the poll: it is not in the description and not
/// visible outside this package.
public struct DeviceAuthorization: Sendable, Hashable, CustomStringConvertible {
    /// The code the client polls the token endpoint with.
    package let deviceCode: String
    /// The code the user types at ``verificationURI``.
    public var userCode: String
    /// The page where the user enters ``userCode``.
    public var verificationURI: String
    /// The page with the code filled in, when the issuer offers one (for a link or a QR code).
    public var verificationURIComplete: String?
    /// When the codes expire (`expires_in` after the answer arrived).
    public var expiresAt: Date
    /// The least wait between two polls, in seconds (`interval`, 5 when absent).
    public var interval: Int
    /// The token endpoint to poll.
    public var tokenEndpoint: URL

    package init(
        deviceCode: String, userCode: String, verificationURI: String, verificationURIComplete: String?,
        expiresAt: Date, interval: Int, tokenEndpoint: URL
    ) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.verificationURIComplete = verificationURIComplete
        self.expiresAt = expiresAt
        self.interval = interval
        self.tokenEndpoint = tokenEndpoint
    }

    public var description: String {
        "DeviceAuthorization(userCode: \(self.userCode), verificationURI: \(self.verificationURI), expiresAt: \(self.expiresAt))"
    }

    /// Reads a device authorization endpoint's 200 answer.
    /// - Parameters:
    ///   - data: The JSON body.
    ///   - url: Where it came from, for messages.
    ///   - receivedAt: When it arrived; `expires_in` counts from here.
    ///   - tokenEndpoint: The token endpoint the client will poll.
    /// - Throws: `LoginError.Code.protocolError` when a required member is missing.
    static func parse(_ data: Data, from url: URL, receivedAt: Date, tokenEndpoint: URL) throws(LoginError) -> DeviceAuthorization {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoginError(code: .protocolError, message: "\(url) answered 200 with something that is not a JSON object; check the issuer's device_authorization_endpoint")
        }
        // Google still spells it `verification_url` (an RFC 8628 draft).
        guard let deviceCode = object["device_code"] as? String, !deviceCode.isEmpty,
            let userCode = (object["user_code"] as? String).map(Self.printable), !userCode.isEmpty,
            let verificationURI = ((object["verification_uri"] ?? object["verification_url"]) as? String).map(Self.printable),
            !verificationURI.isEmpty
        else {
            throw LoginError(
                code: .protocolError,
                message: "\(url) answered without device_code, user_code and verification_uri; is it an RFC 8628 device authorization endpoint?")
        }
        let expiresIn = (object["expires_in"] as? NSNumber)?.intValue ?? 600
        let interval = (object["interval"] as? NSNumber)?.intValue ?? 5
        return DeviceAuthorization(
            deviceCode: deviceCode,
            userCode: userCode,
            verificationURI: verificationURI,
            verificationURIComplete: (object["verification_uri_complete"] as? String).map(Self.printable).flatMap { $0.isEmpty ? nil : $0 },
            expiresAt: receivedAt.addingTimeInterval(TimeInterval(max(expiresIn, 1))),
            interval: max(interval, 1),
            tokenEndpoint: tokenEndpoint
        )
    }

    /// `text` without control characters: it is printed on the user's terminal, and an
    /// issuer's text must not be able to move the cursor or recolour it.
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }))
    }
}
