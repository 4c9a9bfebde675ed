@testable import Interception

/// Real answers from dnsmasq 2.90 (Debian 12) inside a test namespace, captured with a UDP
/// client (see netns/README.md): `--local-ttl=2`, `--host-record=api.openai.com,198.18.0.10,fd00::10`,
/// `--cname=chat.llm.test,edge1.cdn.test --cname=edge1.cdn.test,edge2.cdn.test`,
/// `--host-record=edge2.cdn.test,198.18.0.11,fd00::11` and
/// `--dns-rr=api.openai.com,65,00010000010003026832000500040a0b0c0d` (HTTPS 1 . alpn=h2 ech=CgsMDQ==).
enum DNSFixtures {
    static let openaiA = bytes(
        "11118580000100010000000003617069066f70656e616903636f6d0000010001c00c00010001000000020004c612000a")
    static let openaiAAAA = bytes(
        "22228580000100010000000003617069066f70656e616903636f6d00001c0001c00c001c0001000000020010fd000000000000000000000000000010"
    )
    static let chatCNAMEChainA = bytes(
        "3333858000010003000000000463686174036c6c6d04746573740000010001c00c000500010000000200100565646765310363646e047465737400c02b000500010000000200100565646765320363646e047465737400c04700010001000000020004c612000b"
    )
    static let openaiHTTPS = bytes(
        "44448580000100010000000003617069066f70656e616903636f6d0000410001c00c0041000100000002001200010000010003026832000500040a0b0c0d"
    )
    static let chatCNAMEChainAAAA = bytes(
        "5555858000010003000000000463686174036c6c6d047465737400001c0001c00c000500010000000200100565646765310363646e047465737400c02b000500010000000200100565646765320363646e047465737400c047001c0001000000020010fd000000000000000000000000000011"
    )

    static let all = [openaiA, openaiAAAA, chatCNAMEChainA, openaiHTTPS, chatCNAMEChainAAAA]

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// Wraps a DNS message in IPv4 (or IPv6) + UDP from port 53, with valid lengths and checksums.
    static func udpPacket(_ dns: [UInt8], ipv6: Bool = false, sourcePort: UInt16 = 53) -> [UInt8] {
        var header: [UInt8]
        if ipv6 {
            header = [0x60, 0, 0, 0, 0, 8, 17, 64]
            header += [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [0x53]  // fd00::53
            header += [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [0x01]  // fd00::1
        } else {
            header = [0x45, 0, 0, 28, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 53, 198, 18, 0, 1]
        }
        header += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), 0xc3, 0x50, 0, 8, 0, 0]
        let skeleton = try! IPDatagram(header)
        return skeleton.replacingUDPPayload(with: dns)
    }

    /// Whether the IPv4 header checksum and the UDP checksum of `packet` verify.
    static func checksumsVerify(_ packet: [UInt8]) -> Bool {
        guard let datagram = try? IPDatagram(packet), datagram.transport == .udp else { return false }
        let udp = Array(packet[datagram.transportOffset..<datagram.payloadRange.upperBound])
        let length = [UInt8(udp.count >> 8), UInt8(udp.count & 0xff)]
        if datagram.isIPv6 {
            return IPDatagram.checksum(Array(packet[8..<40]) + [0, 0] + length + [0, 0, 0, 17] + udp) == 0
        }
        return IPDatagram.checksum(packet[0..<datagram.transportOffset]) == 0
            && IPDatagram.checksum(Array(packet[12..<20]) + [0, 17] + length + udp) == 0
    }
}
