/// Reads the server_name extension (RFC 6066 §3).
///
/// `host_name` (type 0) is the only name type ever defined; entries of other types are skipped,
/// assuming the same 2-byte length prefix, as RFC 6066 intended for future types.
enum ServerNameExtension {
    /// Reads the `host_name` from a server_name extension body.
    ///
    /// - Parameter data: A reader confined to the extension body.
    /// - Returns: The validated, lowercased host name, or `nil` if there is none or it is an IP literal.
    /// - Throws: `.needMoreData` while the body is arriving; `.invalid(.malformed)` for an empty or
    ///   inconsistent list, more than one `host_name`, or a host name that is not a DNS name.
    static func parse(_ data: inout ByteReader) throws(ParseStop) -> String? {
        var list = try data.readVector(lengthBytes: 2, "server_name_list")
        try data.expectEnd(of: "server_name extension")
        guard !list.isAtEnd else { throw .invalid(.malformed("server_name_list is empty")) }
        var hostName: String?
        var sawHostName = false
        while !list.isAtEnd {
            let nameType = try list.readBytes(1, "server name type").first
            let name = try list.readOpaque(lengthBytes: 2, "server name")
            guard nameType == 0 else { continue }
            guard !sawHostName else {
                throw .invalid(.malformed("server_name_list has more than one host_name"))
            }
            sawHostName = true
            hostName = try HostName.normalized(name)
        }
        return hostName
    }
}
