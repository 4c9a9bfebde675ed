public import Logging
public import NIOCore
internal import Foundation
internal import NIOFoundationCompat
internal import NIOHTTP1
internal import NIOPosix
internal import NIOSSL

/// Exports events to an OpenTelemetry collector as OTLP/HTTP logs with JSON encoding
/// (`POST {endpoint}/v1/logs`).
///
/// A batch is delivered when the collector answers 2xx. 429 and 5xx ask for a retry; other 4xx
/// mean the collector refuses the batch: the sink throws ``SinkError/Code/httpRejected`` and the
/// forwarder keeps retrying it with back-off, forwarding nothing newer to this sink, because an
/// audit trail must not silently lose events. A response with `partialSuccess.rejectedLogRecords`
/// counts as delivered (the collector accepted the request) and is logged as an error.
/// A request whose answer is lost (timeout, reset) is sent again: at-least-once, deduplicate on
/// the `chaperone.event_id` attribute.
public actor OTLPHTTPSink: AuditSink {
    public nonisolated let name: String
    private let configuration: OTLPSinkConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let sslContext: NIOSSLContext?
    private let hostName: String
    private let logger: Logger
    private var channel: (any Channel)?

    /// Creates the sink; for https it reads the certificate files now.
    ///
    /// - Throws: ``SinkError`` when a TLS file cannot be read.
    public init(configuration: OTLPSinkConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.name = configuration.name
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.sslContext = configuration.useTLS ? try configuration.tls.makeClientContext(sink: configuration.name, applicationProtocols: ["http/1.1"]) : nil
        self.hostName = SyslogMessageFormatter.machineHostname()
        var logger = logger
        logger[metadataKey: "sink"] = "\(configuration.name)"
        self.logger = logger
    }

    public var isConnected: Bool { channel?.isActive ?? false }

    public func deliver(_ batch: [ForwardedEvent]) async throws {
        guard !batch.isEmpty else { return }
        let body: Data
        do {
            body = try OTLPLogsRequest(events: batch, hostName: hostName).encoded()
        } catch {
            throw SinkError(.httpRejected, sink: name, "cannot encode \(batch.count) events as OTLP JSON (\(error)); this is a bug, please report it")
        }
        let response = try await send(body, count: batch.count)
        let status = response.status.code
        switch status {
        case 200..<300:
            reportPartialSuccess(response.body, count: batch.count)
        case 429, 500..<600:
            throw SinkError(
                .httpRetryable, sink: name,
                "\(configuration.endpointDescription) answered \(status) \(response.status.reasonPhrase) to \(batch.count) events\(excerpt(response.body)); the collector is overloaded or failing; the batch will be re-sent")
        default:
            throw SinkError(
                .httpRejected, sink: name,
                "\(configuration.endpointDescription) refused \(batch.count) events with \(status) \(response.status.reasonPhrase)\(excerpt(response.body)); check the endpoint URL, the headers (credentials) and the collector's otlp receiver; chaperone keeps retrying this batch and forwards nothing newer to this sink until it is accepted")
        }
    }

    public func close() async {
        guard let channel else { return }
        self.channel = nil
        try? await channel.close().get()
    }

    private func send(_ body: Data, count: Int) async throws -> HTTPExchangeResponse {
        let channel = try await liveChannel()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: configuration.address.description)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "User-Agent", value: "chaperone")
        for (field, value) in configuration.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: field, value: value) }
        let promise = channel.eventLoop.makePromise(of: HTTPExchangeResponse.self)
        let exchange = HTTPExchange(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: configuration.requestPath, headers: headers),
            body: ByteBuffer(data: body), response: promise)
        let (seconds, attoseconds) = configuration.timeout.components
        let timeout = channel.eventLoop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
            promise.fail(TimedOut())
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        channel.writeAndFlush(exchange, promise: nil)
        do {
            return try await promise.futureResult.get()
        } catch {
            drop(channel)
            if error is TimedOut {
                throw SinkError(
                    .timedOut, sink: name,
                    "\(configuration.endpointDescription) did not answer within \(configuration.timeout) for \(count) events; check the collector's health; the batch will be re-sent")
            }
            throw SinkError(
                .connectionLost, sink: name,
                "connection to \(configuration.endpointDescription) broke before the answer for \(count) events (\(error)); check that the collector is running; the batch will be re-sent")
        }
    }

    private func liveChannel() async throws -> any Channel {
        if let channel {
            if (try? await channel.eventLoop.submit({ channel.isActive }).get()) == true { return channel }
            drop(channel)
        }
        let address = configuration.address
        let sslContext = sslContext
        let serverHostname = address.hostIsIPAddress ? nil : address.host
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler())
                }
            }
        do {
            let channel = try await bootstrap.connect(host: address.host, port: address.port).get()
            self.channel = channel
            return channel
        } catch {
            throw SinkError(
                .connectionFailed, sink: name,
                "cannot connect to \(configuration.endpointDescription) (\(error)); check that the collector listens there and that a firewall lets chaperone through")
        }
    }

    private func drop(_ channel: any Channel) {
        if self.channel === channel { self.channel = nil }
        channel.close(promise: nil)
    }

    private func reportPartialSuccess(_ body: ByteBuffer, count: Int) {
        guard body.readableBytes > 0,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let partial = object["partialSuccess"] as? [String: Any]
        else { return }
        let rejected = (partial["rejectedLogRecords"] as? String).flatMap(Int.init) ?? (partial["rejectedLogRecords"] as? Int) ?? 0
        guard rejected > 0 else { return }
        logger.error(
            "collector accepted the request but rejected some audit events; check the collector's logs",
            metadata: ["rejected": "\(rejected)", "of": "\(count)", "message": "\(partial["errorMessage"] as? String ?? "")"])
    }

    private func excerpt(_ body: ByteBuffer) -> String {
        guard body.readableBytes > 0 else { return "" }
        let text = String(buffer: body.getSlice(at: body.readerIndex, length: min(body.readableBytes, 300)) ?? body)
        return " (\(text.replacingOccurrences(of: "\n", with: " ")))"
    }

    /// The collector did not answer in time.
    private struct TimedOut: Error {}
}
