internal import CNetfilter
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A NETLINK_SOCK_DIAG socket that finds the owner (uid) and inode of a local TCP socket.
///
/// The kernel answers an exact `inet_diag_req_v2` for any socket in the caller's network
/// namespace without privileges: uid and inode are not secret (they are in /proc/net/tcp).
/// One netlink socket serves all callers; a `Mutex` serialises the request/answer pairs,
/// each of which takes a few microseconds.
public final class SockDiag: Sendable {
    /// The netlink socket and the request state. Only touched under `state`'s lock.
    private struct State {
        let socket: OpaquePointer
        let portID: UInt32
        var sequence: UInt32
        let buffer: UnsafeMutableRawBufferPointer
    }

    private let state: Mutex<State>

    /// Opens and binds a NETLINK_SOCK_DIAG socket in the caller's network namespace.
    ///
    /// - Parameter receiveTimeout: How long one answer may take before ``lookup(_:)`` gives up.
    /// - Throws: `IdentityError.Code.netlinkUnavailable` when the socket cannot be opened or bound.
    public init(receiveTimeout: Duration = .seconds(1)) throws(IdentityError) {
        guard let socket = mnl_socket_open2(NETLINK_SOCK_DIAG, Int32(SOCK_CLOEXEC.rawValue)) else {
            let code = errno
            throw IdentityError(
                code: .netlinkUnavailable,
                message: "cannot open NETLINK_SOCK_DIAG: \(errnoName(code)); "
                    + "the kernel needs CONFIG_INET_DIAG (module inet_diag / tcp_diag: modprobe tcp_diag), "
                    + "and a seccomp filter must allow AF_NETLINK sockets"
            )
        }
        if mnl_socket_bind(socket, 0, CNetfilter_diag_autopid()) < 0 {
            let code = errno
            mnl_socket_close(socket)
            throw IdentityError(
                code: .netlinkUnavailable,
                message:
                    "cannot bind NETLINK_SOCK_DIAG socket: \(errnoName(code)); check the netlink port limits and seccomp"
            )
        }
        let components = receiveTimeout.components
        var timeout = timeval(
            tv_sec: Int(components.seconds),
            tv_usec: Int(components.attoseconds / 1_000_000_000_000)
        )
        if setsockopt(
            mnl_socket_get_fd(socket),
            SOL_SOCKET,
            SO_RCVTIMEO,
            &timeout,
            socklen_t(MemoryLayout<timeval>.size)
        ) < 0 {
            let code = errno
            mnl_socket_close(socket)
            throw IdentityError(
                code: .netlinkUnavailable,
                message: "cannot set SO_RCVTIMEO on the NETLINK_SOCK_DIAG socket: \(errnoName(code))"
            )
        }
        let size = max(CNetfilter_diag_socket_buffer_size(), 8192)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        self.state = Mutex(
            State(socket: socket, portID: mnl_socket_get_portid(socket), sequence: 0, buffer: buffer)
        )
    }

    deinit {
        self.state.withLock { state in
            mnl_socket_close(state.socket)
            state.buffer.deallocate()
        }
    }

    /// Finds the TCP socket with exactly this 4-tuple, in any state.
    ///
    /// Query with the tuple of the CLIENT's socket: its local end as `source`, its remote end
    /// (for a REDIRECTed connection, the original destination) as `destination`. An
    /// IPv4-mapped address (`::ffff:a.b.c.d`, as a dual-stack listener reports IPv4 peers) is
    /// queried as AF_INET.
    ///
    /// - Parameter tuple: The client socket's local and remote ends.
    /// - Returns: The socket's owner uid and inode, or `nil` when no such socket exists. The
    ///   inode is 0 for a socket that no process holds any more (closed, owner exited).
    /// - Throws: `IdentityError.Code.invalidAddress` for a non-numeric address or a tuple that
    ///   mixes IPv4 and IPv6; `.netlinkIO` when the kernel cannot be asked or does not answer.
    public func lookup(_ tuple: SocketTuple) throws(IdentityError) -> (uid: UInt32, inode: UInt64)? {
        let query = try DiagQuery(tuple)
        return try self.state.withLock { (state) throws(IdentityError) -> (uid: UInt32, inode: UInt64)? in
            state.sequence &+= 1
            if state.sequence == 0 { state.sequence = 1 }
            return try Self.exchange(query, state: state)
        }
    }

    /// Sends one request and reads its answer. Runs under the lock.
    private static func exchange(
        _ query: DiagQuery,
        state: State
    ) throws(IdentityError) -> (uid: UInt32, inode: UInt64)? {
        let buffer = state.buffer.baseAddress!
        let header = mnl_nlmsg_put_header(buffer)!
        header.pointee.nlmsg_type = UInt16(SOCK_DIAG_BY_FAMILY)
        header.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST)
        header.pointee.nlmsg_seq = state.sequence
        let request = mnl_nlmsg_put_extra_header(header, MemoryLayout<inet_diag_req_v2>.size)!
            .bindMemory(to: inet_diag_req_v2.self, capacity: 1)
        request.pointee.sdiag_family = query.family
        request.pointee.sdiag_protocol = UInt8(IPPROTO_TCP)
        request.pointee.idiag_states = ~0
        request.pointee.id.idiag_sport = query.sourcePort.bigEndian
        request.pointee.id.idiag_dport = query.destinationPort.bigEndian
        request.pointee.id.idiag_src = query.source.diagWords
        request.pointee.id.idiag_dst = query.destination.diagWords
        request.pointee.id.idiag_if = 0
        request.pointee.id.idiag_cookie = (CNetfilter_diag_nocookie(), CNetfilter_diag_nocookie())

        let length = Int(header.pointee.nlmsg_len)
        while mnl_socket_sendto(state.socket, header, length) < 0 {
            let code = errno
            if code == EINTR { continue }
            throw IdentityError(
                code: .netlinkIO,
                message: "cannot send a sock_diag request for \(query.tuple): \(errnoName(code))"
            )
        }

        let reply = DiagReply(query: query)
        while true {
            let received = mnl_socket_recvfrom(state.socket, buffer, state.buffer.count)
            if received < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK {
                    throw IdentityError(
                        code: .netlinkIO,
                        message:
                            "sock_diag did not answer for \(query.tuple) within the receive timeout; the kernel may be overloaded, retry"
                    )
                }
                throw IdentityError(
                    code: .netlinkIO,
                    message: "cannot read the sock_diag answer for \(query.tuple): \(errnoName(code))"
                )
            }
            let result = withExtendedLifetime(reply) {
                mnl_cb_run(
                    buffer,
                    received,
                    state.sequence,
                    state.portID,
                    { message, context in
                        let reply = Unmanaged<DiagReply>.fromOpaque(context!).takeUnretainedValue()
                        return reply.handle(message!)
                    },
                    Unmanaged.passUnretained(reply).toOpaque()
                )
            }
            if let problem = reply.problem {
                throw IdentityError(code: .protocolError, message: problem)
            }
            if result == MNL_CB_ERROR {
                let code = errno
                switch code {
                case ENOENT:
                    return nil  // the kernel's "no such socket"
                case EPROTO, ESRCH:
                    continue  // an answer to an earlier, abandoned request: skip it
                default:
                    throw IdentityError(
                        code: .netlinkIO,
                        message: "sock_diag refused the request for \(query.tuple): \(errnoName(code))"
                    )
                }
            }
            if reply.finished || result == MNL_CB_STOP {
                return reply.found
            }
        }
    }
}

/// A validated request: the family and the normalized addresses and ports.
struct DiagQuery: Sendable {
    let tuple: SocketTuple
    let family: UInt8
    let source: RawAddress
    let destination: RawAddress
    let sourcePort: UInt16
    let destinationPort: UInt16

    init(_ tuple: SocketTuple) throws(IdentityError) {
        self.tuple = tuple
        self.source = try tuple.source.rawAddress()
        self.destination = try tuple.destination.rawAddress()
        guard self.source.isIPv4 == self.destination.isIPv4 else {
            throw IdentityError(
                code: .invalidAddress,
                message:
                    "\(tuple) mixes IPv4 and IPv6; a TCP socket has one family (give IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d or a.b.c.d on both ends)"
            )
        }
        self.family = UInt8(self.source.isIPv4 ? AF_INET : AF_INET6)
        self.sourcePort = tuple.source.port
        self.destinationPort = tuple.destination.port
    }
}

/// The context of one `mnl_cb_run`: receives the kernel's answer through an `Unmanaged` pointer.
final class DiagReply {
    let query: DiagQuery
    var found: (uid: UInt32, inode: UInt64)?
    var finished = false
    var problem: String?

    init(query: DiagQuery) {
        self.query = query
    }

    /// The `mnl_cb_t` body for one netlink message of the answer.
    func handle(_ message: UnsafePointer<nlmsghdr>) -> Int32 {
        guard message.pointee.nlmsg_type == UInt16(SOCK_DIAG_BY_FAMILY) else {
            return MNL_CB_OK
        }
        guard mnl_nlmsg_get_payload_len(message) >= MemoryLayout<inet_diag_msg>.size else {
            self.problem = "sock_diag answered \(self.query.tuple) with a truncated inet_diag_msg"
            return MNL_CB_ERROR
        }
        let diag = UnsafeRawPointer(mnl_nlmsg_get_payload(message)!).loadUnaligned(as: inet_diag_msg.self)
        self.finished = true
        // The kernel falls back to a listener on the source address when no connection
        // matches; accept only the exact 4-tuple.
        let matches =
            UInt16(bigEndian: diag.id.idiag_sport) == self.query.sourcePort
            && UInt16(bigEndian: diag.id.idiag_dport) == self.query.destinationPort
            && RawAddress(diagWords: diag.id.idiag_src, family: diag.idiag_family) == self.query.source
            && RawAddress(diagWords: diag.id.idiag_dst, family: diag.idiag_family) == self.query.destination
        if matches {
            self.found = (uid: diag.idiag_uid, inode: UInt64(diag.idiag_inode))
        }
        return MNL_CB_STOP
    }
}
