public import Foundation

extension HTTPSFetcher {
    /// POSTs `fields` as an `application/x-www-form-urlencoded` body (the encoding OAuth token
    /// and device authorization endpoints take, RFC 6749 §4.1.3, RFC 8628 §3.1) and returns the
    /// response whatever its status, so an OAuth error answer (400 with `{"error": …}`) can be read.
    /// - Parameters:
    ///   - url: An https URL.
    ///   - fields: The form fields, in order; names and values are percent-encoded.
    ///   - headers: Extra request headers.
    /// - Throws: `TokenError.Code.discoveryFailed` for a non-https URL, a connection, TLS or
    ///   timeout failure, or a body over ``maximumBodySize``.
    public func postForm(
        _ url: URL,
        fields: [(name: String, value: String)],
        headers: [(name: String, value: String)] = []
    ) async throws(TokenError) -> HTTPSResponse {
        let body = Data(Self.formEncoded(fields).utf8)
        return try await self.send(
            method: .POST, to: url, headers: headers,
            body: (contentType: "application/x-www-form-urlencoded", data: body))
    }

    /// `name=value&…` with every byte outside the unreserved set (`A-Z a-z 0-9 - . _ ~`)
    /// percent-encoded, which every form decoder reads back exactly.
    static func formEncoded(_ fields: [(name: String, value: String)]) -> String {
        fields.map { Self.percentEncoded($0.name) + "=" + Self.percentEncoded($0.value) }.joined(separator: "&")
    }

    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return result
    }
}
