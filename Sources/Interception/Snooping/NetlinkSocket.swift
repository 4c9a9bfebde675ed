import Foundation
internal import CNetfilter

/// An owned `mnl_socket` on NETLINK_NETFILTER; `deinit` closes it.
final class NetlinkSocket {
    let handle: OpaquePointer
    let portID: UInt32

    /// Opens and binds a netfilter netlink socket.
    ///
    /// - Throws: ``InterceptionError`` (`.netlinkFailed`) naming the errno.
    init(purpose: String) throws(InterceptionError) {
        guard let handle = mnl_socket_open(NETLINK_NETFILTER) else {
            throw InterceptionError.netlink("cannot open a netfilter netlink socket for \(purpose)", errno: errno)
        }
        guard mnl_socket_bind(handle, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let code = errno
            mnl_socket_close(handle)
            throw InterceptionError.netlink("cannot bind the netlink socket for \(purpose)", errno: code)
        }
        self.handle = handle
        self.portID = mnl_socket_get_portid(handle)
    }

    deinit {
        mnl_socket_close(handle)
    }

    var fileDescriptor: Int32 { mnl_socket_get_fd(handle) }

    /// Sends one message; EINTR is retried.
    func send(_ buffer: UnsafeRawPointer, length: Int) throws(InterceptionError) {
        while true {
            if mnl_socket_sendto(handle, buffer, length) >= 0 { return }
            if errno == EINTR { continue }
            throw InterceptionError.netlink("netlink send failed", errno: errno)
        }
    }

    /// Receives into `buffer`; EINTR is retried. Returns the byte count.
    func receive(_ buffer: UnsafeMutableRawPointer, capacity: Int) throws(InterceptionError) -> Int {
        while true {
            let count = mnl_socket_recvfrom(handle, buffer, capacity)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InterceptionError.netlink("netlink receive failed", errno: errno)
        }
    }
}

extension InterceptionError {
    static func netlink(_ what: String, errno code: Int32) -> InterceptionError {
        let name = String(cString: strerror(code))
        let hint = code == EPERM ? "; run as root or grant CAP_NET_ADMIN" : ""
        return InterceptionError(.netlinkFailed, "\(what): \(name) (errno \(code))\(hint)")
    }
}
