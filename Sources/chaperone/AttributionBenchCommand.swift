import ArgumentParser
import Foundation
import Identity
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `chaperone bench-attribution` (hidden): what attributing a connection costs, cold and warm,
/// as a ratio to the TLS handshake it rides on (issue 5).
///
/// It opens real loopback TCP connections from this process, asks sock_diag and the inode
/// cache who owns each (cold: a new cache, so the inode is found by scanning /proc; warm: the
/// same cache again), and times full TLS handshakes (P-256 leaf minted by a fresh org CA,
/// TLS 1.3) between an NIO client and server in the same process, all in one run.
struct AttributionBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-attribution", abstract: "Measure peer attribution against a TLS handshake.",
        shouldDisplay: false)

    @Option(help: "Connections attributed (and handshakes made).") var count = 200
    @Flag(help: "Print the figures as JSON.") var json = false

    func run() async throws {
        var logger = Logger(label: "chaperone.bench")
        logger.logLevel = .error
        let server = try LoopbackServer()
        defer { server.close() }
        var clients: [Int32] = []
        defer { clients.forEach { _ = Glibc.close($0) } }
        for _ in 0..<count { clients.append(try server.connect()) }
        let tuples = try clients.map(LoopbackServer.tuple(of:))

        let clock = ContinuousClock()
        var cold: [Double] = []
        var warm: [Double] = []
        var attributedUID = 0
        for tuple in tuples {
            let attributor = try PeerAttributor(logger: logger)  // a new cache: the inode is unknown
            let start = clock.now
            let first = await attributor.attribute(tuple)
            cold.append(Self.microseconds(clock.now - start))
            let again = clock.now
            _ = await attributor.attribute(tuple)
            warm.append(Self.microseconds(clock.now - again))
            if first.uid == getuid(), first.process?.pid == getpid() { attributedUID += 1 }
        }
        let handshakes = try await Self.handshakes(count: count)
        cold.sort()
        warm.sort()
        let result = Result(
            connections: count, correctlyAttributed: attributedUID,
            coldMedianMicroseconds: cold[cold.count / 2], warmMedianMicroseconds: warm[warm.count / 2],
            tlsHandshakeMedianMicroseconds: handshakes[handshakes.count / 2],
            processes: (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil }.count ?? 0)
        if json {
            try printJSON(result)
        } else {
            print(String(format: "attribution: cold %.0f µs, warm %.0f µs; TLS handshake %.0f µs; cold/handshake %.3f, warm/handshake %.3f (%d/%d attributed to this process)", result.coldMedianMicroseconds, result.warmMedianMicroseconds, result.tlsHandshakeMedianMicroseconds, result.coldMedianMicroseconds / result.tlsHandshakeMedianMicroseconds, result.warmMedianMicroseconds / result.tlsHandshakeMedianMicroseconds, result.correctlyAttributed, result.connections))
        }
    }

    /// Medians of full TLS handshakes over loopback, in microseconds.
    static func handshakes(count: Int) async throws -> [Double] {
        let authority = try OrgCertificateAuthority.generate()
        let leaves = LeafContextCache(minter: LeafMinter(authority: authority), applicationProtocols: ["http/1.1"])
        let serverContext = try await leaves.context(for: "bench.example")
        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(try authority.certificatePEM().utf8), format: .pem)])
        let clientContext = try NIOSSLContext(configuration: clientConfiguration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverContext))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let address = listener.localAddress!
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<count {
            let done = group.next().makePromise(of: Void.self)
            let start = clock.now
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: clientContext, serverHostname: "bench.example"))
                        try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(done: done))
                    }
                }
                .connect(to: address).get()
            try await done.futureResult.get()
            times.append(microseconds(clock.now - start))
            try await channel.close()
        }
        try await listener.close()
        try await group.shutdownGracefully()
        return times.sorted()
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1_000_000 + Double(duration.components.attoseconds) / 1e12
    }

    struct Result: Encodable {
        var connections: Int
        var correctlyAttributed: Int
        var coldMedianMicroseconds: Double
        var warmMedianMicroseconds: Double
        var tlsHandshakeMedianMicroseconds: Double
        var processes: Int

        enum CodingKeys: String, CodingKey {
            case connections, processes
            case correctlyAttributed = "attributed_to_this_process"
            case coldMedianMicroseconds = "cold_median_us"
            case warmMedianMicroseconds = "warm_median_us"
            case tlsHandshakeMedianMicroseconds = "tls_handshake_median_us"
        }
    }
}

/// Completes a promise when the TLS handshake is done (or fails it).
private final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { done.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
    }
}

/// A blocking loopback listener and its clients, with the tuples sock_diag is asked about.
private struct LoopbackServer {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 1_024) == 0 else { throw ValidationError("cannot listen on 127.0.0.1") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    func connect() throws -> Int32 {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw ValidationError("cannot connect to 127.0.0.1:\(port)") }
        return client
    }

    /// The client socket's tuple: its own address and port → the listener.
    static func tuple(of client: Int32) throws -> SocketTuple {
        var local = sockaddr_in()
        var remote = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) }
        }
        length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(client, $0, &length) }
        }
        return SocketTuple(
            source: IPEndpoint(address: "127.0.0.1", port: UInt16(bigEndian: local.sin_port)),
            destination: IPEndpoint(address: "127.0.0.1", port: UInt16(bigEndian: remote.sin_port)))
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
