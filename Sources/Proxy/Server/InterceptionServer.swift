import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle

/// The daemon's listener: accepts redirected connections and hands each to ``ConnectionSetup``.
///
/// Runs as a `Service` in the daemon's `ServiceGroup`. On graceful shutdown it stops accepting and
/// closes its listeners; the redirect rules stay installed, so new connections are refused while
/// the daemon is down (fail closed) rather than routed around it.
public final class InterceptionServer: Service, Sendable {
    private let runtime: ProxyRuntime
    private let group: any EventLoopGroup
    private let logger: Logger

    /// - Parameters:
    ///   - runtime: Shared state; its pools must belong to `group`'s loops.
    ///   - group: The event loops connections run on.
    public init(runtime: ProxyRuntime, group: any EventLoopGroup) {
        self.runtime = runtime
        self.group = group
        self.logger = runtime.logger
    }

    /// Binds every configured address.
    ///
    /// - Returns: The bound server channels.
    /// - Throws: ``ProxyError`` with `.bindFailed` naming the address and the likely cause.
    func bind() async throws -> [any Channel] {
        let configuration = runtime.configuration
        let setup = ConnectionSetup(runtime: runtime, listenAddresses: [])
        var channels: [any Channel] = []
        for host in configuration.listen.addresses {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in setup.initialize(channel) }
            do {
                // A literal address, not a name: getaddrinfo's AI_ADDRCONFIG would refuse "::" on a host
                // whose only IPv6 address is loopback.
                let address = try SocketAddress(ipAddress: host, port: configuration.listen.port)
                channels.append(try await bootstrap.bind(to: address).get())
            } catch where host == "::" {
                // No IPv6 on this host: listen on IPv4 only.
                logger.notice("IPv6 unavailable; listening on IPv4 only", metadata: ["error": "\(error)"])
                let address = try SocketAddress(ipAddress: "0.0.0.0", port: configuration.listen.port)
                channels.append(try await bootstrap.bind(to: address).get())
            } catch {
                throw ProxyError(
                    .bindFailed,
                    "cannot listen on [\(host)]:\(configuration.listen.port): \(error); is another chaperone running, or is the port in use?"
                )
            }
        }
        return channels
    }

    public func run() async throws {
        let channels = try await bind()
        for channel in channels {
            logger.notice("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        }
        try await withGracefulShutdownHandler {
            for channel in channels {
                try await channel.closeFuture.get()
            }
        } onGracefulShutdown: {
            for channel in channels {
                channel.close(promise: nil)
            }
        }
        runtime.recorder.flush()
        logger.notice("stopped listening")
    }
}
