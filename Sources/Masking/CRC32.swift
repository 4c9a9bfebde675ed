/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as in zlib.
///
/// GitHub and npm tokens end in a base62 CRC-32 of their random part; checking it lets
/// the detectors mask real tokens and leave look-alikes (documentation examples, test
/// fixtures with a wrong tail) alone.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
        return crc
    }

    /// The checksum of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The data.
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)]
        }
        return crc ^ 0xFFFF_FFFF
    }
}
