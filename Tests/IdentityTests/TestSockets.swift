import Identity

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Real sockets for the tests: a listener, a client, their endpoints.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An fd closed on deinit.
final class FileDescriptor: @unchecked Sendable {  // the fd is only closed once, in deinit
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { close(self.fd) }
}

enum TestSockets {
    /// Binds and listens on `host` (an IPv4 or IPv6 literal) port 0.
    static func listen(on host: String, dualStack: Bool = false) throws -> (FileDescriptor, UInt16) {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        let owner = FileDescriptor(fd)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == AF_INET6 {
            var v6only: Int32 = dualStack ? 0 : 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size))
        }
        var storage = try self.makeSockaddr(host: host, port: 0)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(
                    fd,
                    $0,
                    socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
                )
            }
        }
        guard status == 0, Glibc.listen(fd, 64) == 0 else { throw TestFailure("bind/listen \(host): \(errno)") }
        return (owner, try self.localEndpoint(of: fd).port)
    }

    /// Connects to `host:port` (blocking; loopback connects at once).
    static func connect(to host: String, port: UInt16) throws -> FileDescriptor {
        let family = host.contains(":") ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        let owner = FileDescriptor(fd)
        var storage = try self.makeSockaddr(host: host, port: port)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(
                    fd,
                    $0,
                    socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
                )
            }
        }
        guard status == 0 else { throw TestFailure("connect \(host):\(port): \(errno)") }
        return owner
    }

    static func accept(_ listener: FileDescriptor) throws -> FileDescriptor {
        let fd = Glibc.accept(listener.fd, nil, nil)
        guard fd >= 0 else { throw TestFailure("accept: \(errno)") }
        return FileDescriptor(fd)
    }

    static func localEndpoint(of fd: Int32) throws -> IPEndpoint {
        try self.endpoint(fd, getsockname)
    }

    static func remoteEndpoint(of fd: Int32) throws -> IPEndpoint {
        try self.endpoint(fd, getpeername)
    }

    /// The tuple of a client socket, as sock_diag wants it.
    static func tuple(ofClient fd: FileDescriptor) throws -> SocketTuple {
        SocketTuple(source: try self.localEndpoint(of: fd.fd), destination: try self.remoteEndpoint(of: fd.fd))
    }

    /// The inode behind one of this process's fds (`/proc/self/fd/N -> socket:[INODE]`).
    static func inode(of fd: FileDescriptor) throws -> UInt64 {
        var buffer = [CChar](repeating: 0, count: 128)
        let count = readlink("/proc/self/fd/\(fd.fd)", &buffer, buffer.count)
        guard count > 0 else { throw TestFailure("readlink fd \(fd.fd): \(errno)") }
        let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("socket:["), let inode = UInt64(text.dropFirst(8).dropLast()) else {
            throw TestFailure("fd \(fd.fd) is \(text)")
        }
        return inode
    }

    private static func endpoint(
        _ fd: Int32,
        _ call: (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?) -> Int32
    ) throws -> IPEndpoint {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &length) }
        }
        guard status == 0 else { throw TestFailure("getsockname/getpeername: \(errno)") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if Int32(storage.ss_family) == AF_INET {
            var address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
            return IPEndpoint(
                address: text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) },
                port: UInt16(bigEndian: address.sin_port)
            )
        } else {
            var address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
            return IPEndpoint(
                address: text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) },
                port: UInt16(bigEndian: address.sin6_port)
            )
        }
    }

    private static func makeSockaddr(host: String, port: UInt16) throws -> sockaddr_storage {
        var storage = sockaddr_storage()
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw TestFailure("bad \(host)") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw TestFailure("bad \(host)") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
        }
        return storage
    }
}

/// A child process whose standard output the test reads line by line.
final class ChildProcess: @unchecked Sendable {  // used by one test at a time
    let pid: pid_t
    private let output: FileDescriptor
    private var pending: [UInt8] = []
    private var reaped = false

    /// Starts `arguments[0]` (an absolute path) with `arguments`.
    init(_ arguments: [String]) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw TestFailure("pipe: \(errno)") }
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        close(pipeFDs[1])
        self.output = FileDescriptor(pipeFDs[0])
        guard status == 0 else { throw TestFailure("posix_spawn \(arguments[0]): \(status)") }
        self.pid = pid
    }

    /// The next line of output; fails after `timeout` seconds.
    func readLine(timeout seconds: Int32 = 20) throws -> String {
        while true {
            if let newline = self.pending.firstIndex(of: 0x0A) {
                let line = String(decoding: self.pending[..<newline], as: UTF8.self)
                self.pending.removeSubrange(...newline)
                return line
            }
            var poller = pollfd(fd: self.output.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, seconds * 1000) > 0 else { throw TestFailure("child \(self.pid) printed nothing") }
            var chunk = [UInt8](repeating: 0, count: 512)
            let count = read(self.output.fd, &chunk, chunk.count)
            guard count > 0 else { throw TestFailure("child \(self.pid) closed its output") }
            self.pending += chunk[..<count]
        }
    }

    /// Kills the child and reaps it.
    func kill() {
        guard !self.reaped else { return }
        self.reaped = true
        _ = Glibc.kill(self.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(self.pid, &status, 0) < 0, errno == EINTR {}
    }

    deinit { self.kill() }
}

/// A Python client that connects to `host:port`, prints its local port, and waits.
let pythonClient = """
    import socket, sys, time
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    print(s.getsockname()[1], flush=True)
    time.sleep(60)
    """

/// The test binary's own executable.
func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count)
    return String(decoding: buffer[..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
