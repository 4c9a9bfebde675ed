import Foundation
internal import CNetfilter

/// One bound NFQUEUE: receives queued packets and sends verdicts, over libmnl and the
/// libnetfilter_queue message helpers. Used from a single thread.
final class NFQueue {
    /// A packet waiting for its verdict.
    struct Packet {
        var id: UInt32
        var bytes: [UInt8]
    }

    let number: UInt16
    private let socket: NetlinkSocket
    /// Owned; freed in deinit.
    private let buffer: UnsafeMutableRawBufferPointer
    private var out: UnsafeMutablePointer<CChar> { buffer.baseAddress!.assumingMemoryBound(to: CChar.self) }

    /// Binds queue `number`.
    ///
    /// - Parameters:
    ///   - failOpen: When the queue is full the kernel accepts packets instead of dropping them.
    /// - Throws: ``InterceptionError``; EPERM means we lack CAP_NET_ADMIN, EBUSY that another
    ///   process holds the queue.
    init(number: UInt16, failOpen: Bool, maximumLength: UInt32 = 4096) throws(InterceptionError) {
        self.number = number
        socket = try NetlinkSocket(purpose: "NFQUEUE \(number)")
        buffer = .allocate(byteCount: CNetfilter_nfq_buffer_size(), alignment: 16)
        var enable: Int32 = 1
        // Tell us nothing about dropped messages rather than fail the receive with ENOBUFS.
        _ = mnl_socket_setsockopt(socket.handle, NETLINK_NO_ENOBUFS, &enable, socklen_t(MemoryLayout<Int32>.size))
        let flags = failOpen ? UInt32(NFQA_CFG_F_FAIL_OPEN) : 0
        let length = CNetfilter_nfq_put_config(out, number, flags, maximumLength)
        // Every stored property is set, so a throw from here on runs deinit, which frees the buffer.
        try request(length: Int(length), what: "cannot bind NFQUEUE \(number)")
    }

    deinit {
        let length = CNetfilter_nfq_put_unbind(out, number)
        try? socket.send(buffer.baseAddress!, length: Int(length))
        buffer.deallocate()
    }

    var fileDescriptor: Int32 { socket.fileDescriptor }

    /// Sends the request in `buffer` and waits for its acknowledgement.
    private func request(length: Int, what: String) throws(InterceptionError) {
        try socket.send(buffer.baseAddress!, length: length)
        let received = try socket.receive(buffer.baseAddress!, capacity: buffer.count)
        let code = CNetfilter_netlink_ack_error(buffer.baseAddress!, received)
        if code > 0 { throw InterceptionError.netlink(what, errno: code) }
    }

    /// Receives whatever one read returns (one or more packets). Blocks unless data is ready.
    func receive() throws(InterceptionError) -> [Packet] {
        do {
            let raw = buffer
            let count = try socket.receive(raw.baseAddress!, capacity: raw.count)
            var packets: [Packet] = []
            var remaining = Int32(count)
            var message: UnsafePointer<nlmsghdr>? = UnsafePointer(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
            var attributes = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: Int(CNetfilter_nfq_attr_count()))
            while let header = message, mnl_nlmsg_ok(header, remaining) {
                if CNetfilter_nfq_is_packet(header) != 0 {
                    for index in attributes.indices { attributes[index] = nil }
                    if nfq_nlmsg_parse(header, &attributes) >= 0, let packetHeader = attributes[Int(NFQA_PACKET_HDR.rawValue)] {
                        let id = CNetfilter_nfq_packet_id(packetHeader)
                        var bytes: [UInt8] = []
                        if let payload = attributes[Int(NFQA_PAYLOAD.rawValue)] {
                            let length = Int(mnl_attr_get_payload_len(payload))
                            let start = mnl_attr_get_payload(payload)!.assumingMemoryBound(to: UInt8.self)
                            bytes = Array(UnsafeBufferPointer(start: start, count: length))
                        }
                        packets.append(Packet(id: id, bytes: bytes))
                    }
                }
                message = UnsafePointer(mnl_nlmsg_next(header, &remaining))
            }
            return packets
        }
    }

    /// Accepts packet `id`, replacing its bytes with `replacement` when given.
    func accept(_ id: UInt32, replacement: [UInt8]? = nil) throws(InterceptionError) {
        do {
            let length: UInt32
            if let replacement {
                length = replacement.withUnsafeBytes {
                    CNetfilter_nfq_put_verdict(out, number, id, NF_ACCEPT, $0.baseAddress, UInt32($0.count))
                }
            } else {
                length = CNetfilter_nfq_put_verdict(out, number, id, NF_ACCEPT, nil, 0)
            }
            try socket.send(buffer.baseAddress!, length: Int(length))
        }
    }
}
