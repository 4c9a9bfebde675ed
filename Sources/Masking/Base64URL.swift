/// Decoding of unpadded base64url, for reading JWT headers.
enum Base64URL {
    /// Decodes base64url (`-` and `_`, padding optional); `nil` on a character outside
    /// the alphabet or an impossible length.
    ///
    /// - Parameters:
    ///   - text: The encoded bytes.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case 0x41...0x5A: value = UInt32(byte - 0x41)
            case 0x61...0x7A: value = UInt32(byte - 0x61 + 26)
            case 0x30...0x39: value = UInt32(byte - 0x30 + 52)
            case 0x2D, 0x2B: value = 62
            case 0x5F, 0x2F: value = 63
            case 0x3D: continue
            default: return nil
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        return bits >= 6 ? nil : output
    }
}
