import Foundation

/// base64url without padding (RFC 7515 §2), the encoding of every JWS part and JWK number.
enum Base64URL {
    /// Decodes base64url; padding is tolerated but not required. `nil` on any other character.
    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = String(text)
        while base64.hasSuffix("=") { base64.removeLast() }
        guard base64.utf8.allSatisfy({ Self.isAlphabet($0) }) else { return nil }
        base64 = base64.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch base64.utf8.count % 4 {
        case 2: base64 += "=="
        case 3: base64 += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: base64)
    }

    /// Encodes as base64url without padding.
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
