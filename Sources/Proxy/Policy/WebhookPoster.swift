import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// POSTs one JSON document to a webhook (the pending-approval announcements): http or https,
/// verified against the upstream trust (system store or `upstream.trust_bundle`).
struct WebhookPoster: Sendable {
    let url: URL
    let tlsContext: NIOSSLContext?
    let group: any EventLoopGroup
    let timeout: TimeAmount

    /// - Throws: When `url` is neither http nor https.
    init(url: URL, trustBundle: String?, group: any EventLoopGroup, timeout: TimeAmount = .seconds(10)) throws {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw ConfigurationError(.invalidValue, "policy.approval_webhook \(url) is not an http(s) URL")
        }
        self.url = url
        self.group = group
        self.timeout = timeout
        if scheme == "https" {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = trustBundle.map { .file($0) } ?? .default
            tlsContext = try NIOSSLContext(configuration: configuration)
        } else {
            tlsContext = nil
        }
    }

    /// Sends `body`; returns the response status.
    func post(_ body: Data) async throws -> Int {
        let host = url.host ?? "localhost"
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let port = url.port ?? (tlsContext == nil ? 80 : 443)
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        let promise = group.any().makePromise(of: Int.self)
        let tlsContext = self.tlsContext
        let isIP = (try? SocketAddress(ipAddress: bareHost, port: 0)) != nil
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tlsContext, serverHostname: isIP ? nil : bareHost))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(StatusCollector(promise: promise))
                    }
                }
                .connect(host: bareHost, port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(self.timeout)) }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "User-Agent", value: "chaperone")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await promise.futureResult.get()
    }
}

/// Completes with the status of the first response head; fails when the connection ends first.
private final class StatusCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<Int>

    init(promise: EventLoopPromise<Int>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { promise.succeed(Int(head.status.code)) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }
}
