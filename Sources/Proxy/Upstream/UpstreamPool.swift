import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Kept-alive TLS connections to providers, for one event loop.
///
/// Exchanges open their upstream on their own event loop, so a pool is confined to one loop and
/// needs no locks. Connections are keyed by original destination and SNI: a connection verified
/// for one name is never used for another.
final class UpstreamPool {
    private let eventLoop: any EventLoop
    private let tlsContext: NIOSSLContext
    private let connectTimeout: TimeAmount
    private let maxIdlePerKey: Int
    private let idleTimeout: TimeAmount
    private var idle: [UpstreamConnection.Key: [UpstreamConnection]] = [:]
    /// Connections opened by this pool (for metrics and tests).
    private(set) var openedCount = 0

    init(
        eventLoop: any EventLoop, tlsContext: NIOSSLContext, connectTimeout: TimeAmount, maxIdlePerKey: Int,
        idleTimeout: TimeAmount
    ) {
        self.eventLoop = eventLoop
        self.tlsContext = tlsContext
        self.connectTimeout = connectTimeout
        self.maxIdlePerKey = maxIdlePerKey
        self.idleTimeout = idleTimeout
    }

    /// A connection to `address` verified for `serverName`: a pooled one if any is alive, else a new one.
    ///
    /// - Parameters:
    ///   - address: The original destination.
    ///   - serverName: The SNI to send and the name the certificate must carry.
    ///   - pooled: Whether an idle connection may be reused (false for upgrades, which take the connection over).
    func acquire(address: SocketAddress, serverName: String, pooled: Bool = true) -> EventLoopFuture<UpstreamConnection> {
        eventLoop.preconditionInEventLoop()
        let key = UpstreamConnection.Key(address: InterceptedConnection.describe(address), serverName: serverName)
        if pooled {
            while let connection = idle[key]?.popLast() {
                connection.idleTimer?.cancel()
                connection.idleTimer = nil
                if connection.channel.isActive { return eventLoop.assumeIsolated().makeSucceededFuture(connection) }
            }
        }
        return connect(key: key, address: address, serverName: serverName)
    }

    /// Returns `connection` to the pool when it can serve another request, else closes it.
    func release(_ connection: UpstreamConnection) {
        eventLoop.preconditionInEventLoop()
        connection.handler.owner = nil
        guard connection.isReusable, connection.channel.isActive, maxIdlePerKey > 0,
            idle[connection.key, default: []].count < maxIdlePerKey
        else {
            connection.close()
            return
        }
        idle[connection.key, default: []].append(connection)
        connection.idleTimer = eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { [weak self] in
            self?.remove(connection)
            connection.close()
        }
    }

    private func remove(_ connection: UpstreamConnection) {
        idle[connection.key]?.removeAll { $0 === connection }
        if idle[connection.key]?.isEmpty == true { idle[connection.key] = nil }
    }

    private func connect(key: UpstreamConnection.Key, address: SocketAddress, serverName: String)
        -> EventLoopFuture<UpstreamConnection>
    {
        let handshake = eventLoop.makePromise(of: Void.self)
        let tlsContext = self.tlsContext
        openedCount += 1
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                    try UpstreamPipelineNames.addHTTPHandlers(to: sync, handler: UpstreamHandler(handshakePromise: handshake))
                }
            }
            .connect(to: address)
        connected.whenFailure { handshake.fail($0) }
        // The handshake must finish within the connect budget too.
        let timeout = eventLoop.scheduleTask(in: connectTimeout) {
            handshake.fail(ProxyError(.upstreamTimeout, "TLS handshake with \(serverName) timed out"))
        }
        return connected.and(handshake.futureResult).assumeIsolatedUnsafeUnchecked().flatMapThrowing { channel, _ in
            timeout.cancel()
            let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            let connection = UpstreamConnection(key: key, channel: channel, handler: handler)
            channel.closeFuture.assumeIsolatedUnsafeUnchecked().whenComplete { [weak self] _ in
                self?.remove(connection)
            }
            return connection
        }.flatMapErrorThrowing { error in
            timeout.cancel()
            connected.whenSuccess { $0.close(promise: nil) }
            throw UpstreamErrorClassifier.classify(error)
        }.nonisolated()
    }
}

@available(*, unavailable)
extension UpstreamPool: Sendable {}
