/// Re-frames record streams, to test reassembly across records of any size.
enum TLSRecords {
    /// The concatenated payloads of a well-formed stream of records.
    ///
    /// - Parameter stream: Complete TLS records.
    static func payload(of stream: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = []
        var offset = 0
        while offset + 5 <= stream.count {
            let end = offset + 5 + (Int(stream[offset + 3]) << 8 | Int(stream[offset + 4]))
            payload += stream[(offset + 5)..<end]
            offset = end
        }
        return payload
    }

    /// Frames `payload` as handshake records of at most `recordSize` bytes each.
    ///
    /// - Parameters:
    ///   - payload: The handshake bytes.
    ///   - recordSize: The largest record payload.
    ///   - version: The record-layer version bytes.
    static func frame(_ payload: [UInt8], recordSize: Int, version: [UInt8] = [3, 1]) -> [UInt8] {
        stride(from: 0, to: payload.count, by: recordSize).flatMap { start in
            let fragment = Array(payload[start..<min(start + recordSize, payload.count)])
            return [22] + version + fragment.lengthPrefixed(2)
        }
    }

    /// The same handshake bytes as `stream`, re-framed into records of at most `recordSize` bytes.
    ///
    /// - Parameters:
    ///   - stream: Complete TLS records.
    ///   - recordSize: The largest record payload.
    static func refragment(_ stream: [UInt8], recordSize: Int) -> [UInt8] {
        frame(payload(of: stream), recordSize: recordSize, version: Array(stream[1...2]))
    }
}
