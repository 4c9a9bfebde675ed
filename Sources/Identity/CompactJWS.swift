import Foundation

/// A token in JWS compact serialisation (`header.payload.signature`), split and decoded but
/// NOT verified: nothing read from it may be trusted before ``TokenVerifier`` checks the
/// signature, except to choose the issuer and key to check it with.
struct CompactJWS: Sendable {
    /// The protected header's `alg`.
    var algorithm: String
    /// The protected header's `kid`, if any.
    var keyID: String?
    /// The claims, decoded as JSON.
    var claims: [String: JSONValue]
    /// `ASCII(header) || '.' || ASCII(payload)`: the bytes the signature covers.
    var signingInput: Data
    var signature: Data

    /// The longest token accepted; real ones are 1–4 KiB.
    static let maximumLength = 16 * 1024

    /// Splits and decodes a compact JWS.
    /// - Throws: `TokenError.Code.malformed` when it is not three base64url parts with JSON
    ///   objects for header and payload; `unsupportedAlgorithm` for a header with `crit`.
    init(parsing token: String) throws(TokenError) {
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count <= Self.maximumLength else {
            throw TokenError(
                code: .malformed,
                message: "token is \(token.utf8.count) bytes, over the \(Self.maximumLength)-byte limit; pass the ID token itself, not a file or a response body"
            )
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw TokenError(
                code: .malformed,
                message: "token has \(parts.count) dot-separated parts, a signed JWT has 3 (header.payload.signature); pass the ID token (not an access token or a JWE)"
            )
        }
        guard let headerData = Base64URL.decode(parts[0]), let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else {
            throw TokenError(code: .malformed, message: "token is not base64url in every part; pass the JWT unchanged")
        }
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode([String: JSONValue].self, from: headerData) else {
            throw TokenError(code: .malformed, message: "token header is not a JSON object; pass the JWT unchanged")
        }
        guard let claims = try? decoder.decode([String: JSONValue].self, from: payloadData) else {
            throw TokenError(code: .malformed, message: "token payload is not a JSON object; pass the JWT unchanged")
        }
        guard let algorithm = header["alg"]?.string else {
            throw TokenError(code: .malformed, message: "token header has no string `alg`; pass a signed JWT")
        }
        // RFC 7515 §4.1.11: a recipient must reject a `crit` extension it does not understand,
        // and none is understood here.
        if header["crit"] != nil {
            throw TokenError(
                code: .unsupportedAlgorithm,
                message: "token header has critical extensions (`crit`), which are not supported; ask the IdP for a plain signed ID token"
            )
        }
        if let kid = header["kid"], kid.string == nil {
            throw TokenError(code: .malformed, message: "token header's `kid` is not a string")
        }
        self.algorithm = algorithm
        self.keyID = header["kid"]?.string
        self.claims = claims
        self.signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        self.signature = signature
    }
}
