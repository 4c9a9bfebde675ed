import Crypto
import Foundation

/// The chain hash: `SHA-256(raw 32 bytes of prev_hash ‖ UTF-8 bytes of canonical)`, lowercase hex.
enum AuditHash {
    /// The `prev_hash` of the first event: 64 zeros.
    static let genesis = String(repeating: "0", count: 64)

    /// The hash of an event from its predecessor's hash and its own canonical text.
    ///
    /// A malformed `prevHash` (not 64 hex digits) contributes its UTF-8 bytes instead, so the
    /// result never matches a correctly written event and the verifier reports it.
    static func chain(prevHash: String, canonical: String) -> String {
        var hasher = SHA256()
        if let raw = bytes(fromHex: prevHash), raw.count == 32 {
            hasher.update(data: raw)
        } else {
            hasher.update(data: Array(prevHash.utf8))
        }
        hasher.update(data: Array(canonical.utf8))
        return hex(hasher.finalize())
    }

    /// Lowercase hex SHA-256 of `data`.
    static func sha256(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// Whether `text` is 64 lowercase hex digits.
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 64 && bytes(fromHex: text) != nil
    }
}
