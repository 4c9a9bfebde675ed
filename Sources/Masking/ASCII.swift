/// Byte classes shared by the detectors.
///
/// Written as range checks rather than table look-ups so that they inline into the
/// detectors' loops without a global initialiser check.
enum ASCII {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- 0x41 < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- 0x61 < 26 }
    @inline(__always) static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isAlpha(b) }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
    /// Letters, digits, `_` and every non-ASCII byte (letters of other scripts).
    @inline(__always) static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b >= 0x80 }
    /// `[A-Za-z0-9_-]`, the base64url alphabet.
    @inline(__always) static func isBase64URL(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b == 0x2D }
    /// `[A-Za-z0-9+/]`, the base64 alphabet without padding.
    @inline(__always) static func isBase64(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2B || b == 0x2F }
    /// A UTF-8 continuation byte, never the start of a character.
    @inline(__always) static func isContinuation(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
    @inline(__always) static func lowercased(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }
    @inline(__always) static func digitValue(_ b: UInt8) -> Int { Int(b &- 0x30) }

    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let dash: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let underscore: UInt8 = 0x5F
}
