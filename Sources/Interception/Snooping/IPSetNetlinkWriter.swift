import Foundation
internal import CNetfilter

/// Adds addresses to Chaperone's ipsets over nfnetlink (IPSET_CMD_ADD), with no process spawned.
///
/// Each add is one request and one acknowledgement on a socket kept open for the snooper's
/// life; adding an address already present refreshes its timeout (the kernel's `-exist`).
public protocol IPSetWriting: Sendable {
    /// Adds every entry; throws on the first the kernel refuses.
    func add(_ entries: [IPSetEntry]) throws(InterceptionError)
}

/// The netlink implementation of ``IPSetWriting``.
// @unchecked: the socket, sequence and buffer are only touched under `lock`.
public final class IPSetNetlinkWriter: IPSetWriting, @unchecked Sendable {
    private let socket: NetlinkSocket
    private let lock = NSLock()
    private var sequence: UInt32 = UInt32(truncatingIfNeeded: time(nil))
    /// Owned; freed in deinit.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 16)

    /// - Throws: ``InterceptionError`` when the netlink socket cannot be opened.
    public init() throws(InterceptionError) {
        socket = try NetlinkSocket(purpose: "ipset")
    }

    deinit {
        buffer.deallocate()
    }

    public func add(_ entries: [IPSetEntry]) throws(InterceptionError) {
        lock.lock()
        defer { lock.unlock() }
        for entry in entries {
            sequence &+= 1
            let sequence = sequence
            let length = entry.address.bytes.withUnsafeBufferPointer { address in
                CNetfilter_ipset_put_entry(
                    buffer.baseAddress!.assumingMemoryBound(to: CChar.self), UInt8(IPSET_CMD_ADD.rawValue),
                    entry.setName, address.baseAddress!, Int32(address.count), entry.timeout, sequence)
            }
            try socket.send(buffer.baseAddress!, length: Int(length))
            let received = try socket.receive(buffer.baseAddress!, capacity: buffer.count)
            let code = CNetfilter_netlink_ack_error(buffer.baseAddress!, received)
            guard code == 0 else {
                let hint = code == ENOENT ? " (the set does not exist; run `chaperone rules install`)" : ""
                throw InterceptionError.netlink("cannot add \(entry.address) to \(entry.setName)\(hint)", errno: code)
            }
        }
    }
}
