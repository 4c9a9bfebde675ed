/// Reads the application_layer_protocol_negotiation extension (RFC 7301 §3.1).
enum ALPNExtension {
    /// Reads the protocol names from an ALPN extension body.
    ///
    /// Protocol names are opaque bytes on the wire; names that are not valid UTF-8 cannot be
    /// represented as `String` and are left out rather than failing the whole hello.
    ///
    /// - Parameter data: A reader confined to the extension body.
    /// - Returns: The protocol names in the client's order.
    /// - Throws: `.needMoreData` while the body is arriving; `.invalid(.malformed)` for an empty
    ///   list, an empty name, or inconsistent lengths.
    static func parse(_ data: inout ByteReader) throws(ParseStop) -> [String] {
        var list = try data.readVector(lengthBytes: 2, "protocol_name_list")
        try data.expectEnd(of: "application_layer_protocol_negotiation extension")
        guard !list.isAtEnd else { throw .invalid(.malformed("protocol_name_list is empty")) }
        var protocols: [String] = []
        while !list.isAtEnd {
            let name = try list.readOpaque(lengthBytes: 1, "protocol name")
            guard !name.isEmpty else { throw .invalid(.malformed("empty ALPN protocol name")) }
            if let text = String(validating: name, as: UTF8.self) {
                protocols.append(text)
            }
        }
        return protocols
    }
}
