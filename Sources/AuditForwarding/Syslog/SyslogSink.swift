public import Logging
public import NIOCore
internal import NIOPosix
internal import NIOSSL

/// Sends events to a syslog receiver as RFC 5424 messages, octet-counted, over TCP or TLS.
///
/// One persistent connection, opened on the first delivery and re-opened on the next delivery
/// after it broke; the forwarder's back-off paces reconnection.
///
/// Delivery is at-least-once: before writing, the sink lets the event loop process any pending
/// close from the receiver (a FIN from a receiver that stopped) and reconnects instead of writing
/// into a dead connection; after writing it waits until the receiver's TCP stack has acknowledged
/// every byte. Any failure closes the connection and the forwarder re-sends the whole batch, so a
/// receiver that took part of it sees those events twice (deduplicate on the `id` SD-PARAM).
/// Events the receiver's kernel acknowledged but the receiver lost before processing (a crash
/// of rsyslogd with an in-memory queue) are not detected: syslog over TCP has no application ack.
public actor SyslogSink: AuditSink {
    public nonisolated let name: String
    private let configuration: SyslogSinkConfiguration
    private let formatter: SyslogMessageFormatter
    private let eventLoopGroup: any EventLoopGroup
    private let sslContext: NIOSSLContext?
    private let logger: Logger
    private var channel: (any Channel)?

    /// Creates the sink; for TLS it reads the certificate files now.
    ///
    /// - Throws: ``SinkError`` when a TLS file cannot be read.
    public init(configuration: SyslogSinkConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.name = configuration.name
        self.configuration = configuration
        self.formatter = SyslogMessageFormatter(
            facility: configuration.facility, hostname: configuration.hostname, utf8BOM: configuration.utf8BOM)
        self.eventLoopGroup = eventLoopGroup
        self.sslContext = configuration.transport == .tls ? try configuration.tls.makeClientContext(sink: configuration.name) : nil
        var logger = logger
        logger[metadataKey: "sink"] = "\(configuration.name)"
        self.logger = logger
    }

    public var isConnected: Bool { channel?.isActive ?? false }

    public func deliver(_ batch: [ForwardedEvent]) async throws {
        guard !batch.isEmpty else { return }
        let channel = try await liveChannel()
        var buffer = channel.allocator.buffer(capacity: batch.reduce(0) { $0 + $1.jsonLine.utf8.count + 256 })
        for event in batch { formatter.frame(event, into: &buffer) }
        do {
            try await channel.writeAndFlush(buffer).get()
            try await TCPAcknowledgement.wait(for: channel, timeout: configuration.acknowledgementTimeout)
        } catch {
            drop(channel)
            if error is TCPAcknowledgement.TimedOut {
                throw SinkError(
                    .notAcknowledged, sink: name,
                    "\(configuration.address) did not acknowledge \(batch.count) events within \(configuration.acknowledgementTimeout); the receiver is stalled or the network drops packets; the batch will be re-sent")
            }
            throw SinkError(
                .connectionLost, sink: name,
                "connection to \(configuration.address) broke while sending \(batch.count) events (\(error)); check that the receiver is running; the batch will be re-sent")
        }
    }

    public func close() async {
        guard let channel else { return }
        self.channel = nil
        try? await channel.close().get()
    }

    /// The open connection, after letting its event loop handle a pending close; a new one otherwise.
    private func liveChannel() async throws -> any Channel {
        if let channel {
            // Running a task on the loop first processes I/O already signalled, such as the
            // receiver's FIN, so a stopped receiver shows as inactive here.
            if (try? await channel.eventLoop.submit({ channel.isActive }).get()) == true { return channel }
            logger.debug("syslog connection closed by the receiver; reconnecting")
            drop(channel)
        }
        let channel = try await connect()
        self.channel = channel
        return channel
    }

    private func drop(_ channel: any Channel) {
        if self.channel === channel { self.channel = nil }
        channel.close(promise: nil)
    }

    private func connect() async throws -> any Channel {
        let address = configuration.address
        let sslContext = sslContext
        let serverHostname = address.hostIsIPAddress ? nil : address.host
        let ready = eventLoopGroup.any().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: ready.futureResult.eventLoop)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionReadinessHandler(ready: ready, waitsForTLSHandshake: sslContext != nil))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port).get()
        } catch {
            ready.fail(error)
            throw SinkError(
                .connectionFailed, sink: name,
                "cannot connect to \(address) over \(configuration.transport.rawValue) (\(error)); check that the receiver listens there and that a firewall lets chaperone through")
        }
        do {
            try await ready.futureResult.get()
        } catch {
            channel.close(promise: nil)
            if sslContext != nil {
                throw SinkError(
                    .tlsFailed, sink: name,
                    "TLS handshake with \(address) failed (\(error)); check that ca_file \(configuration.tls.caFile ?? "(system trust store)") holds the CA that signed the receiver's certificate, that the certificate names \(address.host), and that the receiver speaks TLS on this port")
            }
            throw SinkError(
                .connectionFailed, sink: name,
                "connection to \(address) closed right after it opened (\(error)); check that the receiver accepts plain TCP syslog on this port")
        }
        logger.info("connected to syslog receiver", metadata: ["address": "\(address)", "transport": "\(configuration.transport.rawValue)"])
        return channel
    }
}
