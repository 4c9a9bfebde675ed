/// An IPv4 or IPv6 packet carrying UDP or TCP, as NFQUEUE hands it over (starting at the IP header).
///
/// Parsing checks every length; it finds the transport payload and can rebuild the packet around
/// a new UDP payload with lengths and checksums fixed.
struct IPDatagram {
    enum Transport: Equatable { case udp, tcp }

    enum ParseFailure: Error, Equatable {
        /// Not IPv4/IPv6, not UDP/TCP, or a non-first fragment: not for us, accept as is.
        case notApplicable
        /// Lengths that contradict each other.
        case malformed
    }

    let bytes: [UInt8]
    let isIPv6: Bool
    let transport: Transport
    /// Where the UDP or TCP header starts.
    let transportOffset: Int
    /// The transport payload (UDP data, or TCP segment data).
    let payloadRange: Range<Int>
    /// The end of the IP packet (bytes past it, if any, are link padding).
    let packetEnd: Int

    init(_ bytes: [UInt8]) throws(ParseFailure) {
        self.bytes = bytes
        guard let first = bytes.first else { throw .malformed }
        var protocolNumber: UInt8
        var offset: Int
        switch first >> 4 {
        case 4:
            guard bytes.count >= 20 else { throw .malformed }
            let headerLength = Int(first & 0x0f) * 4
            let totalLength = Int(bytes[2]) << 8 | Int(bytes[3])
            guard headerLength >= 20, totalLength >= headerLength, totalLength <= bytes.count else { throw .malformed }
            let fragment = (UInt16(bytes[6]) << 8 | UInt16(bytes[7]))
            // More-fragments set or a non-zero offset: a DNS answer split by IP fragmentation.
            guard fragment & 0x3fff == 0 else { throw .notApplicable }
            isIPv6 = false
            protocolNumber = bytes[9]
            offset = headerLength
            packetEnd = totalLength
        case 6:
            guard bytes.count >= 40 else { throw .malformed }
            let payloadLength = Int(bytes[4]) << 8 | Int(bytes[5])
            guard 40 + payloadLength <= bytes.count else { throw .malformed }
            isIPv6 = true
            protocolNumber = bytes[6]
            offset = 40
            packetEnd = 40 + payloadLength
            // Hop-by-hop, routing and destination options: skip; fragments: not handled.
            while [0, 43, 60].contains(protocolNumber) {
                guard offset + 8 <= packetEnd else { throw .malformed }
                protocolNumber = bytes[offset]
                offset += (Int(bytes[offset + 1]) + 1) * 8
            }
        default:
            throw .notApplicable
        }
        switch protocolNumber {
        case 17:
            guard offset + 8 <= packetEnd else { throw .malformed }
            let udpLength = Int(bytes[offset + 4]) << 8 | Int(bytes[offset + 5])
            guard udpLength >= 8, offset + udpLength <= packetEnd else { throw .malformed }
            transport = .udp
            payloadRange = (offset + 8)..<(offset + udpLength)
        case 6:
            guard offset + 20 <= packetEnd else { throw .malformed }
            let dataOffset = Int(bytes[offset + 12] >> 4) * 4
            guard dataOffset >= 20, offset + dataOffset <= packetEnd else { throw .malformed }
            transport = .tcp
            payloadRange = (offset + dataOffset)..<packetEnd
        default:
            throw .notApplicable
        }
        transportOffset = offset
    }

    var sourcePort: UInt16 { UInt16(bytes[transportOffset]) << 8 | UInt16(bytes[transportOffset + 1]) }

    var payload: ArraySlice<UInt8> { bytes[payloadRange] }

    /// The same packet with `payload` as its UDP data: IP and UDP lengths, the IPv4 header
    /// checksum and the UDP checksum recomputed. Only for UDP packets.
    func replacingUDPPayload(with payload: [UInt8]) -> [UInt8] {
        precondition(transport == .udp)
        var packet = Array(bytes[..<(transportOffset + 8)]) + payload
        let udpLength = 8 + payload.count
        packet[transportOffset + 4] = UInt8(udpLength >> 8)
        packet[transportOffset + 5] = UInt8(udpLength & 0xff)
        packet[transportOffset + 6] = 0
        packet[transportOffset + 7] = 0
        var pseudoHeader: [UInt8]
        if isIPv6 {
            let payloadLength = packet.count - 40
            packet[4] = UInt8(payloadLength >> 8)
            packet[5] = UInt8(payloadLength & 0xff)
            pseudoHeader = Array(packet[8..<40]) + [0, 0, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0, 0, 17]
        } else {
            packet[2] = UInt8(packet.count >> 8)
            packet[3] = UInt8(packet.count & 0xff)
            packet[10] = 0
            packet[11] = 0
            let headerChecksum = Self.checksum(packet[0..<transportOffset])
            packet[10] = UInt8(headerChecksum >> 8)
            packet[11] = UInt8(headerChecksum & 0xff)
            pseudoHeader = Array(packet[12..<20]) + [0, 17, UInt8(udpLength >> 8), UInt8(udpLength & 0xff)]
        }
        var udpChecksum = Self.checksum(pseudoHeader + packet[transportOffset...])
        if udpChecksum == 0 { udpChecksum = 0xffff }  // 0 means "no checksum" on the wire
        packet[transportOffset + 6] = UInt8(udpChecksum >> 8)
        packet[transportOffset + 7] = UInt8(udpChecksum & 0xff)
        return packet
    }

    /// The Internet checksum (RFC 1071) of `data`.
    static func checksum<C: Collection<UInt8>>(_ data: C) -> UInt16 {
        var sum: UInt32 = 0
        var high = true
        for byte in data {
            sum += high ? UInt32(byte) << 8 : UInt32(byte)
            high.toggle()
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
