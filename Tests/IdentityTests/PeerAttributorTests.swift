import Foundation
import Logging
import Testing

@testable import Identity

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("PeerAttributor: uid, pid, exe, cmdline, cgroup of real connections")
struct PeerAttributorTests {
    static let logger = Logger(label: "identity.tests")

    func makeAttributor(cache: InodeProcessCache = InodeProcessCache()) throws -> PeerAttributor {
        PeerAttributor(sockDiag: try SockDiag(), cache: cache, budget: .seconds(2), logger: Self.logger)
    }

    /// The checks every connection made by this test process must pass.
    func expectSelf(_ attribution: PeerAttribution, client: FileDescriptor) throws {
        #expect(attribution.uid == getuid())
        #expect(attribution.inode == (try TestSockets.inode(of: client)))
        let process = try #require(attribution.process)
        #expect(process.pid == getpid())
        let executable = selfExecutable()
        #expect(process.executable == executable)
        let binary = String(executable.split(separator: "/").last ?? "")
        #expect(process.commandLine?.contains(binary) == true)
        #expect(process.cgroup?.isEmpty == false)
        #expect(attribution.unknown.isEmpty, "\(attribution.unknown)")
        if getuid() == 0 { #expect(attribution.userName == "root") }
    }

    @Test("IPv4 connection of this process")
    func ipv4() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let attribution = try await makeAttributor().attribute(TestSockets.tuple(ofClient: client))
        try self.expectSelf(attribution, client: client)
        withExtendedLifetime(listener) {}
    }

    @Test("IPv6 connection of this process")
    func ipv6() async throws {
        let (listener, port) = try TestSockets.listen(on: "::1")
        let client = try TestSockets.connect(to: "::1", port: port)
        let attribution = try await makeAttributor().attribute(TestSockets.tuple(ofClient: client))
        try self.expectSelf(attribution, client: client)
        withExtendedLifetime(listener) {}
    }

    @Test("Dual-stack listener, IPv4 client, tuple from the accepted socket")
    func dualStack() async throws {
        let (listener, port) = try TestSockets.listen(on: "::", dualStack: true)
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let accepted = try TestSockets.accept(listener)
        let tuple = SocketTuple(
            source: try TestSockets.remoteEndpoint(of: accepted.fd),
            destination: try TestSockets.localEndpoint(of: accepted.fd)
        )
        let attribution = try await makeAttributor().attribute(tuple)
        try self.expectSelf(attribution, client: client)
    }

    @Test(
        "A connection made by another uid's process"
    )
    func otherUID() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let child = try ChildProcess([
            "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "/usr/bin/python3", "-c", pythonClient, "127.0.0.1", String(port),
        ])
        defer { child.kill() }
        let childPort = try #require(UInt16(try child.readLine()))
        let tuple = SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: childPort),
            destination: IPEndpoint(address: "127.0.0.1", port: port)
        )
        let attribution = try await makeAttributor().attribute(tuple)
        #expect(attribution.uid == 65534)
        #expect(attribution.userName == "nobody")
        let process = try #require(attribution.process)
        #expect(process.pid == child.pid)
        #expect(process.executable?.hasPrefix("/usr/bin/python3.") == true)
        #expect(process.commandLine?.hasPrefix("/usr/bin/python3 -c import socket") == true)
        #expect(process.cgroup?.isEmpty == false)
        #expect(attribution.unknown.isEmpty, "\(attribution.unknown)")
        withExtendedLifetime(listener) {}
    }

    @Test("Unknown tuple: nothing found, reasons given, no throw")
    func unknownTuple() async throws {
        let tuple = SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: 1),
            destination: IPEndpoint(address: "127.0.0.1", port: 2)
        )
        let attribution = try await makeAttributor().attribute(tuple)
        #expect(attribution.uid == nil)
        #expect(attribution.process == nil)
        #expect(attribution.unknown.first?.hasPrefix("uid: no local TCP socket") == true)
        let invalid = SocketTuple(
            source: IPEndpoint(address: "not-an-ip", port: 1),
            destination: IPEndpoint(address: "127.0.0.1", port: 2)
        )
        let failed = try await makeAttributor().attribute(invalid)
        #expect(failed.uid == nil)
        #expect(failed.unknown.first?.contains("not a numeric") == true)
    }

    @Test(
        "A process that exits between the sock_diag lookup and the /proc read"
    )
    func processExited() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let child = try ChildProcess(["/usr/bin/python3", "-c", pythonClient, "127.0.0.1", String(port)])
        let childPort = try #require(UInt16(try child.readLine()))
        let tuple = SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: childPort),
            destination: IPEndpoint(address: "127.0.0.1", port: port)
        )
        let attributor = try makeAttributor()
        let found = try #require(try attributor.sockDiag.lookup(tuple))
        child.kill()

        // The inode sock_diag gave is held by nobody now.
        let late = await attributor.attribute(
            uid: found.uid,
            inode: found.inode,
            deadline: .now.advanced(by: .seconds(2))
        )
        #expect(late.uid == found.uid)
        #expect(late.process == nil)
        #expect(late.unknown.contains("pid: socket inode not found in /proc (process exited?)"), "\(late.unknown)")

        // Asked again by tuple: the orphaned socket (FIN_WAIT) has no inode, or is gone.
        let again = await attributor.attribute(tuple)
        #expect(again.process == nil)
        #expect(!again.unknown.isEmpty)

        // /proc reads of a dead pid say the process exited.
        let (process, unknown) = ProcessInspector.describe(pid: child.pid)
        #expect(process.executable == nil)
        #expect(unknown.contains("executable: /proc/\(child.pid) vanished (process exited)"), "\(unknown)")
        withExtendedLifetime(listener) {}
    }

    @Test("Warm lookups do not rescan /proc; a new socket in a known process does")
    func warmCache() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let first = try TestSockets.connect(to: "127.0.0.1", port: port)
        let cache = InodeProcessCache()
        let attributor = try makeAttributor(cache: cache)
        let tuple = try TestSockets.tuple(ofClient: first)

        #expect(await attributor.attribute(tuple).process?.pid == getpid())
        #expect(await cache.scanCount == 1)
        let tablesAfterCold = await cache.fdTablesRead
        for _ in 0..<50 {
            #expect(await attributor.attribute(tuple).process?.pid == getpid())
        }
        #expect(await cache.scanCount == 1)
        #expect(await cache.fdTablesRead == tablesAfterCold)

        // A socket opened after the scan, by a process already scanned: one more scan.
        let second = try TestSockets.connect(to: "127.0.0.1", port: port)
        try self.expectSelf(await attributor.attribute(TestSockets.tuple(ofClient: second)), client: second)
        #expect(await cache.scanCount == 2)
        withExtendedLifetime(listener) {}
    }

    @Test(
        "A new process is found by reading only the processes new since the last scan"
    )
    func newProcessFoundFirst() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let warm = try TestSockets.connect(to: "127.0.0.1", port: port)
        let cache = InodeProcessCache()
        let attributor = try makeAttributor(cache: cache)
        _ = await attributor.attribute(try TestSockets.tuple(ofClient: warm))
        let fullScan = await cache.fdTablesRead

        let child = try ChildProcess(["/usr/bin/python3", "-c", pythonClient, "127.0.0.1", String(port)])
        defer { child.kill() }
        let childPort = try #require(UInt16(try child.readLine()))
        let attribution = await attributor.attribute(
            SocketTuple(
                source: IPEndpoint(address: "127.0.0.1", port: childPort),
                destination: IPEndpoint(address: "127.0.0.1", port: port)
            )
        )
        #expect(attribution.process?.pid == child.pid)
        let incremental = await cache.fdTablesRead - fullScan
        // The first lookup may have found this process early, so compare with the whole /proc:
        // the new process is found among the new pids, not after reading every process again.
        let processes = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }.count
        #expect(incremental < processes / 2, "read \(incremental) fd tables of \(processes) processes")
        withExtendedLifetime(listener) {}
    }

    @Test("A cache that skips its own process does not find this process's sockets")
    func skipsOwnProcess() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let client = try TestSockets.connect(to: "127.0.0.1", port: port)
        let attributor = try makeAttributor(cache: InodeProcessCache(includesOwnProcess: false))
        let attribution = await attributor.attribute(try TestSockets.tuple(ofClient: client))
        #expect(attribution.uid == getuid())
        #expect(attribution.inode == (try TestSockets.inode(of: client)))
        #expect(attribution.process == nil)
        #expect(attribution.unknown.contains("pid: socket inode not found in /proc (process exited?)"))
        withExtendedLifetime(listener) {}
    }

    @Test("The cache stays within its capacity")
    func capacity() async throws {
        let (listener, port) = try TestSockets.listen(on: "127.0.0.1")
        let clients = try (0..<40).map { _ in try TestSockets.connect(to: "127.0.0.1", port: port) }
        let cache = InodeProcessCache(capacity: 16)
        let attributor = try makeAttributor(cache: cache)
        for client in clients {
            let attribution = await attributor.attribute(try TestSockets.tuple(ofClient: client))
            #expect(attribution.process?.pid == getpid(), "\(attribution.unknown)")
            #expect(await cache.count <= 16)
        }
        withExtendedLifetime(listener) {}
    }
}

