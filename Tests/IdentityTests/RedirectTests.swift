import Logging
import Testing

@testable import Identity

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The daemon's real case: netfilter REDIRECTs a client's connection to 198.18.0.10:443 to a
/// local listener. Run in a private network namespace (`unshare --net`) so the host's rules
/// are untouched; the client runs as nobody.
@Suite("REDIRECTed connection in a private network namespace")
struct RedirectTests {
    /// Sets up lo, a route to 198.18.0.0/15 and the REDIRECT rule; starts the client as nobody;
    /// accepts like the daemon and prints what the daemon knows.
    static let daemonScript = """
        import socket, struct, subprocess, sys, time
        subprocess.run(["/usr/sbin/ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["/usr/sbin/ip", "route", "add", "198.18.0.0/15", "dev", "lo", "src", "127.0.0.1"], check=True)
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(8)
        port = ls.getsockname()[1]
        subprocess.run(["/usr/sbin/iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "198.18.0.10",
                        "--dport", "443", "-j", "REDIRECT", "--to-ports", str(port)], check=True)
        client = subprocess.Popen(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/python3", "-c",
            "import socket, time; s = socket.create_connection(('198.18.0.10', 443)); time.sleep(60)"])
        conn, peer = ls.accept()
        original = conn.getsockopt(socket.SOL_IP, 80, 16)  # SO_ORIGINAL_DST
        oport, oaddr = struct.unpack_from("!2xH4s", original)
        local = conn.getsockname()
        print(client.pid, peer[0], peer[1], local[0], local[1], socket.inet_ntoa(oaddr), oport, flush=True)
        time.sleep(60)
        """

    @Test(
        "Query with the original destination finds the client; the daemon's address does not"
    )
    func redirected() async throws {
        let daemon = try ChildProcess(["/usr/bin/unshare", "--net", "/usr/bin/python3", "-c", Self.daemonScript])
        defer { daemon.kill() }
        let fields = try daemon.readLine().split(separator: " ").map(String.init)
        try #require(fields.count == 7, "\(fields)")
        let clientPID = try #require(Int32(fields[0]))
        let peer = IPEndpoint(address: fields[1], port: try #require(UInt16(fields[2])))
        let daemonLocal = IPEndpoint(address: fields[3], port: try #require(UInt16(fields[4])))
        let original = IPEndpoint(address: fields[5], port: try #require(UInt16(fields[6])))
        #expect(original == IPEndpoint(address: "198.18.0.10", port: 443))

        let diag = try openSockDiag(inNetworkNamespaceOf: daemon.pid)
        #expect(try diag.lookup(SocketTuple(source: peer, destination: daemonLocal)) == nil)

        let attributor = PeerAttributor(sockDiag: diag, budget: .seconds(2), logger: Logger(label: "identity.tests"))
        let attribution = await attributor.attribute(SocketTuple(source: peer, destination: original))
        #expect(attribution.uid == 65534)
        #expect(attribution.process?.pid == clientPID)
        #expect(attribution.process?.executable?.hasPrefix("/usr/bin/python3.") == true)
        #expect(attribution.unknown.isEmpty, "\(attribution.unknown)")
    }
}

/// Opens a ``SockDiag`` in the network namespace of `pid`: a netlink socket belongs to the
/// namespace of the thread that made it, so a short-lived thread enters the namespace
/// (`setns`, looked up with `dlsym`: Glibc's Swift module hides the `_GNU_SOURCE` API) and opens it.
func openSockDiag(inNetworkNamespaceOf pid: pid_t) throws -> SockDiag {
    final class Job: @unchecked Sendable {  // handed to one thread, read after pthread_join
        let pid: pid_t
        var result: Result<SockDiag, any Error> = .failure(TestFailure("thread did not run"))
        init(pid: pid_t) { self.pid = pid }
    }
    let job = Job(pid: pid)
    var thread = pthread_t()
    let status = pthread_create(
        &thread,
        nil,
        { context in
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            typealias SetNS = @convention(c) (Int32, Int32) -> Int32
            guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else {
                job.result = .failure(TestFailure("no setns"))
                return nil
            }
            let setns = unsafeBitCast(symbol, to: SetNS.self)
            let fd = open("/proc/\(job.pid)/ns/net", O_RDONLY | O_CLOEXEC)
            defer { close(fd) }
            let cloneNewNet: Int32 = 0x4000_0000
            guard fd >= 0, setns(fd, cloneNewNet) == 0 else {
                job.result = .failure(TestFailure("setns: \(errno)"))
                return nil
            }
            job.result = Result { try SockDiag() }
            return nil
        },
        Unmanaged.passRetained(job).toOpaque()
    )
    guard status == 0 else { throw TestFailure("pthread_create: \(status)") }
    pthread_join(thread, nil)
    return try job.result.get()
}
