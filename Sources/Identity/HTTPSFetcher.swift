public import Foundation
public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOSSL

/// A minimal HTTPS client for OIDC discovery documents, JWKS and OAuth endpoints.
///
/// Built on SwiftNIO (NIOHTTP1 + NIOSSL) rather than FoundationNetworking's `URLSession`:
/// the daemon already links NIO, `URLSession` on Linux drags in libcurl and cannot be given a
/// CA bundle per session, and a test issuer needs exactly that. Only `https` is spoken, one
/// request per connection, no redirects (an issuer's documents are served directly), with a
/// bound on the whole exchange and on the body. `GET` for documents, a form `POST`
/// (``postForm(_:fields:headers:)``) for token endpoints.
public struct HTTPSFetcher: Sendable {
    /// Which certificates an issuer's TLS server certificate must chain to.
    public enum Trust: Sendable {
        /// The system trust store (`/etc/ssl/certs`).
        case system
        /// A PEM bundle, e.g. a corporate CA or a test CA.
        case caBundle(path: String)
    }

    private let context: NIOSSLContext
    private let group: any EventLoopGroup
    /// The bound on connect + TLS + request + response.
    public var timeout: TimeAmount
    /// The largest body accepted; discovery documents and JWKS are a few KiB.
    public var maximumBodySize: Int

    /// Makes a fetcher. Building the TLS context reads the trust store, which blocks: make one
    /// at start-up, not per request.
    /// - Parameters:
    ///   - trust: The roots to verify servers against.
    ///   - group: The event loops to run connections on.
    ///   - timeout: The bound on one whole request.
    ///   - maximumBodySize: The largest body accepted, in bytes.
    /// - Throws: `TokenError.Code.discoveryFailed` when the trust roots cannot be loaded.
    public init(
        trust: Trust = .system,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: TimeAmount = .seconds(10),
        maximumBodySize: Int = 1 << 20
    ) throws(TokenError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch trust {
        case .system:
            configuration.trustRoots = .default
        case .caBundle(let path):
            configuration.trustRoots = .file(path)
        }
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TokenError(
                code: .discoveryFailed,
                message: "cannot load the TLS trust roots (\(trust)): \(error); check the CA bundle path and that it holds PEM certificates"
            )
        }
        self.group = group
        self.timeout = timeout
        self.maximumBodySize = maximumBodySize
    }

    /// GETs `url` and returns the body of a 200 response.
    /// - Parameters:
    ///   - url: An https URL.
    ///   - headers: Extra request headers (an `Authorization` for a CI token endpoint).
    /// - Throws: `TokenError.Code.discoveryFailed` for a non-https URL, a connection, TLS or
    ///   timeout failure, a status other than 200, or a body over ``maximumBodySize``.
    public func get(_ url: URL, headers: [(name: String, value: String)] = []) async throws(TokenError) -> Data {
        let response = try await self.send(method: .GET, to: url, headers: headers, body: nil)
        guard response.status == 200 else {
            throw TokenError(code: .discoveryFailed, message: "cannot fetch \(url): HTTP status \(response.status); check the issuer URL")
        }
        return response.body
    }

    /// Sends one request and returns the response, whatever its status.
    ///
    /// OAuth endpoints answer errors a client must read (`authorization_pending`,
    /// `invalid_grant`) with status 400 and a JSON body, so the status is the caller's to judge.
    /// - Parameters:
    ///   - method: `GET` or `POST`.
    ///   - url: An https URL.
    ///   - headers: Extra request headers.
    ///   - body: The request body and its content type, or `nil` for none.
    /// - Throws: `TokenError.Code.discoveryFailed` for a non-https URL, a connection, TLS or
    ///   timeout failure, or a body over ``maximumBodySize``.
    func send(
        method: HTTPMethod,
        to url: URL,
        headers: [(name: String, value: String)],
        body: (contentType: String, data: Data)?
    ) async throws(TokenError) -> HTTPSResponse {
        guard url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty else {
            throw TokenError(code: .discoveryFailed, message: "\(url) is not an https URL; issuers and their endpoints must be served over https")
        }
        let verb = method == .GET ? "fetch" : "\(method.rawValue) to"
        let port = url.port ?? 443
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let isIPAddress = (try? SocketAddress(ipAddress: bareHost, port: 0)) != nil
        let hostHeader = url.port.map { "\(host):\($0)" } ?? host
        let context = self.context
        let limit = self.maximumBodySize
        // The collector is in the pipeline from the start, so a TLS failure or an early close
        // reaches it; a failed connect fails the promise here.
        let promise = self.group.any().makePromise(of: (HTTPResponseHead, ByteBuffer).self)
        let timeout = self.timeout
        do {
            let channel: any Channel
            do {
                channel = try await ClientBootstrap(group: self.group)
                    .connectTimeout(timeout)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            // An IP literal is not sent as SNI; NIOSSL then checks the
                            // certificate's IP SANs against the connected address.
                            let tls = try NIOSSLClientHandler(context: context, serverHostname: isIPAddress ? nil : bareHost)
                            try channel.pipeline.syncOperations.addHandler(tls)
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, limit: limit))
                        }
                    }
                    .connect(host: bareHost, port: port)
                    .get()
            } catch {
                promise.fail(error)
                throw error
            }
            let timeoutTask = channel.eventLoop.scheduleTask(in: timeout) {
                channel.pipeline.fireErrorCaught(
                    FetchFailure(reason: "no complete response within \(timeout.nanoseconds / 1_000_000_000) s")
                )
            }
            defer {
                timeoutTask.cancel()
                channel.close(promise: nil)
            }
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers.add(name: "Host", value: hostHeader)
            head.headers.add(name: "Accept", value: "application/json")
            head.headers.add(name: "User-Agent", value: "chaperone")
            head.headers.add(name: "Connection", value: "close")
            if let body {
                head.headers.add(name: "Content-Type", value: body.contentType)
                head.headers.add(name: "Content-Length", value: String(body.data.count))
            }
            for header in headers { head.headers.add(name: header.name, value: header.value) }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body.data))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let (responseHead, responseBody) = try await promise.futureResult.get()
            return HTTPSResponse(
                status: Int(responseHead.status.code),
                contentType: responseHead.headers.first(name: "Content-Type"),
                body: Data(responseBody.readableBytesView)
            )
        } catch let failure as FetchFailure {
            throw TokenError(code: .discoveryFailed, message: "cannot \(verb) \(url): \(failure.reason); check the issuer URL")
        } catch {
            throw TokenError(
                code: .discoveryFailed,
                message: "cannot \(verb) \(url): \(error); check the issuer URL, the network and the CA bundle"
            )
        }
    }
}

/// One HTTPS response: its status and body, whatever the status.
public struct HTTPSResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type` header, when the server sent one.
    public var contentType: String?
    /// The body, at most the fetcher's `maximumBodySize` bytes.
    public var body: Data

    public init(status: Int, contentType: String? = nil, body: Data) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

struct FetchFailure: Error {
    var reason: String
}

/// Collects one HTTP response, up to a size limit, into a promise.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<(HTTPResponseHead, ByteBuffer)>
    private let limit: Int
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var done = false

    init(promise: EventLoopPromise<(HTTPResponseHead, ByteBuffer)>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func fail(_ error: any Error) {
        guard !self.done else { return }
        self.done = true
        self.promise.fail(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > self.limit {
                self.fail(FetchFailure(reason: "body of \(length) bytes is over the \(self.limit)-byte limit"))
                context.close(promise: nil)
            }
        case .body(var part):
            guard self.body.readableBytes + part.readableBytes <= self.limit else {
                self.fail(FetchFailure(reason: "body is over the \(self.limit)-byte limit"))
                context.close(promise: nil)
                return
            }
            self.body.writeBuffer(&part)
        case .end:
            self.done = true
            self.promise.succeed((self.head ?? HTTPResponseHead(version: .http1_1, status: .internalServerError), self.body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(FetchFailure(reason: "the server closed the connection before the response ended"))
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ResponseCollector: Sendable {}
