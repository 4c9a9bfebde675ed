import Testing

@testable import Identity

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("SockDiag: exact 4-tuple lookups on real sockets")
struct SockDiagTests {
    @Test("IPv4 client socket: this process's uid and the inode /proc/self/fd shows")
    func ipv4() throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let diag = try SockDiag()
        let found = try #require(try diag.lookup(TestSockets.tuple(ofClient: client)))
        #expect(found.uid == getuid())
        #expect(found.inode == (try TestSockets.inode(of: client)))
        withExtendedLifetime(listener) {}
    }

    @Test("IPv6 client socket on [::1]")
    func ipv6() throws {
        let (listener, port) = try TestSockets.listen(on: "::1")
        let client = try TestSockets.connect(to: "::1", port: port)
        let tuple = try TestSockets.tuple(ofClient: client)
        #expect(tuple.source.address == "::1")
        let found = try #require(try SockDiag().lookup(tuple))
        #expect(found.uid == getuid())
        #expect(found.inode == (try TestSockets.inode(of: client)))
        withExtendedLifetime(listener) {}
    }

    @Test("Dual-stack [::] listener, IPv4 client: the daemon's ::ffff: view is queried as AF_INET")
    func dualStack() throws {
        let (listener, port) = try TestSockets.listen(on: "::", dualStack: true)
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let accepted = try TestSockets.accept(listener)
        // What the daemon knows: the accepted socket's peer and its own local end.
        let peer = try TestSockets.remoteEndpoint(of: accepted.fd)
        let local = try TestSockets.localEndpoint(of: accepted.fd)
        #expect(peer.address == "::ffff:127.0.0.1")
        let found = try #require(try SockDiag().lookup(SocketTuple(source: peer, destination: local)))
        #expect(found.inode == (try TestSockets.inode(of: client)))
        #expect(found.uid == getuid())
    }

    @Test("The server's side of the connection is a different socket")
    func serverSideIsDistinct() throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let accepted = try TestSockets.accept(listener)
        let serverTuple = SocketTuple(
            source: try TestSockets.localEndpoint(of: accepted.fd),
            destination: try TestSockets.remoteEndpoint(of: accepted.fd)
        )
        let found = try #require(try SockDiag().lookup(serverTuple))
        #expect(found.inode == (try TestSockets.inode(of: accepted)))
        #expect(found.inode != (try TestSockets.inode(of: client)))
    }

    @Test("An unknown tuple is nil, not an error")
    func unknownTuple() throws {
        let tuple = SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: 1),
            destination: IPEndpoint(address: "127.0.0.1", port: 2)
        )
        #expect(try SockDiag().lookup(tuple) == nil)
        let tuple6 = SocketTuple(
            source: IPEndpoint(address: "fd00::1", port: 1),
            destination: IPEndpoint(address: "fd00::2", port: 2)
        )
        #expect(try SockDiag().lookup(tuple6) == nil)
    }

    @Test("A tuple whose source is a listener's port does not match the listener")
    func listenerFallbackRejected() throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let tuple = SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: port),
            destination: IPEndpoint(address: "127.0.0.1", port: 9)
        )
        #expect(try SockDiag().lookup(tuple) == nil)
        withExtendedLifetime(listener) {}
    }

    @Test("Bad addresses throw invalidAddress; brackets and zones are accepted")
    func addresses() throws {
        let diag = try SockDiag()
        let byName = SocketTuple(
            source: IPEndpoint(address: "localhost", port: 1),
            destination: IPEndpoint(address: "127.0.0.1", port: 2)
        )
        #expect(throws: IdentityError(code: .invalidAddress)) { try diag.lookup(byName) }
        let mixed = SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: 1),
            destination: IPEndpoint(address: "fd00::1", port: 2)
        )
        #expect(throws: IdentityError(code: .invalidAddress)) { try diag.lookup(mixed) }
        #expect(try IPEndpoint(address: "[::1]", port: 1).rawAddress().bytes.count == 16)
        #expect(try IPEndpoint(address: "fe80::1%lo", port: 1).rawAddress().bytes.count == 16)
        #expect(try IPEndpoint(address: "::ffff:10.1.2.3", port: 1).rawAddress().bytes == [10, 1, 2, 3])
    }

    @Test("Many lookups on one socket, from many tasks at once")
    func concurrentLookups() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let tuple = try TestSockets.tuple(ofClient: client)
        let expected = try TestSockets.inode(of: client)
        let diag = try SockDiag()
        try await withThrowingTaskGroup(of: UInt64?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var last: UInt64?
                    for _ in 0..<200 { last = try diag.lookup(tuple)?.inode }
                    return last
                }
            }
            for try await inode in group { #expect(inode == expected) }
        }
        withExtendedLifetime(listener) {}
    }

    /// The kernel contract the daemon relies on: an unprivileged process may read the uid and
    /// inode of another uid's socket. Checked with a raw NETLINK_SOCK_DIAG request from Python
    /// running as nobody, against a socket of this (root) process.
    @Test(
        "sock_diag needs no privilege to read another uid's socket"
    )
    func unprivilegedReadsOtherUID() throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let tuple = try TestSockets.tuple(ofClient: client)
        let script = """
            import socket, struct, sys
            sport, dport = int(sys.argv[1]), int(sys.argv[2])
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)  # NETLINK_SOCK_DIAG
            addr = socket.inet_aton("127.0.0.1") + bytes(12)
            req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF)
            req += struct.pack(">HH", sport, dport) + addr + addr + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)
            hdr = struct.pack("=IHHII", 16 + len(req), 20, 1, 1, 0)
            s.send(hdr + req)
            data = s.recv(8192)
            length, kind = struct.unpack_from("=IH", data)
            if kind != 20:
                print("error", struct.unpack_from("=i", data, 16)[0], flush=True)
            else:
                uid, inode = struct.unpack_from("=II", data, 16 + 64)
                print(uid, inode, flush=True)
            """
        let child = try ChildProcess([
            "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/python3", "-c", script, String(tuple.source.port), String(tuple.destination.port),
        ])
        let line = try child.readLine()
        #expect(line == "\(getuid()) \(try TestSockets.inode(of: client))")
        withExtendedLifetime(listener) {}
    }
}
