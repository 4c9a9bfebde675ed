/// JSON Web Tokens (JWS compact form, three segments) and JWE (five segments), at most
/// 8 KiB.
///
/// Segments are base64url separated by dots; the first segment must decode to a JSON
/// object with an `"alg"` member, which every JOSE header has. A sentence-ending dot
/// after the token is not part of it. The header check keeps dotted base64 look-alikes
/// (`ey.ey.ey`, file names) out.
struct JWTDetector: ByteDetector {
    let maximumLength = 8192
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        byte == 0x65
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        second == 0x79 || second == 0x77
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isBase64URL(byte) || byte == ASCII.dot || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        var index = position
        var lengths: [Int] = []
        while lengths.count < 5 {
            let count = window.run(from: index, limit: maximumLength + 1, ASCII.isBase64URL)
            lengths.append(count)
            index += count
            guard index - position <= maximumLength else { return nil }
            // Another segment follows only when the dot is followed by base64url or by the
            // dot of an empty JWE segment.
            guard window.byte(at: index) == ASCII.dot else { break }
            let next = window.byte(at: index + 1)
            if let next, ASCII.isBase64URL(next) || (next == ASCII.dot && lengths.count < 4) {
                index += 1
            } else if lengths.count == 2 {
                // `header.payload.` with an empty signature (alg none).
                index += 1
                lengths.append(0)
                break
            } else {
                break
            }
        }
        guard lengths.count == 3 || lengths.count == 5, lengths[0] >= 10, lengths[1] >= 1 || lengths.count == 5,
            index - position <= maximumLength
        else { return nil }
        if let next = window.byte(at: index), ASCII.isBase64URL(next) || next >= 0x80 { return nil }
        var header: [UInt8] = []
        header.reserveCapacity(lengths[0])
        for offset in 0..<lengths[0] { header.append(window.byte(at: position + offset) ?? 0) }
        guard let decoded = Base64URL.decode(header), Self.isJOSEHeader(decoded) else { return nil }
        return index - position
    }

    /// Whether `json` looks like a JOSE header: an object containing the member `"alg"`.
    ///
    /// - Parameters:
    ///   - json: The decoded header bytes.
    static func isJOSEHeader(_ json: [UInt8]) -> Bool {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard let first = json.firstIndex(where: { !isSpace($0) }), json[first] == 0x7B,
            let last = json.lastIndex(where: { !isSpace($0) }), json[last] == 0x7D
        else { return false }
        let key = Array("\"alg\"".utf8)
        guard json.count >= key.count else { return false }
        for start in first...(json.count - key.count) where json[start] == 0x22 {
            if Array(json[start..<start + key.count]) == key {
                var index = start + key.count
                while index < json.count, isSpace(json[index]) { index += 1 }
                if index < json.count, json[index] == ASCII.colon { return true }
            }
        }
        return false
    }
}
