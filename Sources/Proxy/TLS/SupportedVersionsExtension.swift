/// Reads the supported_versions extension of a ClientHello (RFC 8446 §4.2.1).
enum SupportedVersionsExtension {
    /// Reads the version list from a supported_versions extension body.
    ///
    /// - Parameter data: A reader confined to the extension body.
    /// - Returns: The versions in the client's order, GREASE values included.
    /// - Throws: `.needMoreData` while the body is arriving; `.invalid(.malformed)` for an empty or
    ///   odd-length list or inconsistent lengths.
    static func parse(_ data: inout ByteReader) throws(ParseStop) -> [UInt16] {
        var list = try data.readVector(lengthBytes: 1, "supported_versions")
        try data.expectEnd(of: "supported_versions extension")
        guard list.remaining >= 2, list.remaining % 2 == 0 else {
            throw .invalid(.malformed("supported_versions is \(list.remaining) bytes, not a non-empty list of 2-byte versions"))
        }
        var versions: [UInt16] = []
        while !list.isAtEnd {
            versions.append(try list.readUInt16("supported version"))
        }
        return versions
    }
}
