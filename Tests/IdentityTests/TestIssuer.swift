import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Identity

/// A tiny OIDC issuer over HTTPS on 127.0.0.1:0: discovery and JWKS, with keys that a test can
/// rotate, and counters of what was fetched; with ``enableOAuth(signer:)``, also a device
/// authorization endpoint and a token endpoint (device code and refresh token grants, see
/// `TestIssuer+OAuth.swift`).
final class TestIssuer: Sendable {
    private struct State {
        var keys: [[String: String]] = []
        var discoveryFetches = 0
        /// Extra routes: path → (the Authorization header required, the JSON answered).
        var routes: [String: (authorization: String, body: Data)] = [:]
        var lastQuery: String?
        var jwksFetches = 0
    }

    private let state = Mutex(State())
    /// The OAuth endpoints' script and record.
    let oauth = Mutex(OAuthState())
    private let channel: any Channel
    let url: URL
    /// The issuer identifier, `https://127.0.0.1:PORT` plus ``pathPrefix``.
    var identifier: String { self.url.absoluteString }

    /// Serves an issuer at `https://127.0.0.1:PORT` + `pathPrefix`.
    static func start(pathPrefix: String = "", keys: [TestSigner] = []) async throws -> TestIssuer {
        let pki = TestPKI.shared
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.keyPath, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: configuration)
        let box = StateBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(IssuerHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = channel.localAddress!.port!
        let issuer = TestIssuer(channel: channel, url: URL(string: "https://127.0.0.1:\(port)\(pathPrefix)")!)
        box.issuer.withLock { $0 = issuer }
        issuer.setKeys(keys)
        return issuer
    }

    private init(channel: any Channel, url: URL) {
        self.channel = channel
        self.url = url
    }

    /// Serves `body` at `path` (query ignored) to requests carrying `authorization`; others get 401.
    func setRoute(_ path: String, authorization: String, body: Data) {
        self.state.withLock { $0.routes[self.url.path + path] = (authorization, body) }
    }

    func setKeys(_ signers: [TestSigner]) {
        self.state.withLock { $0.keys = signers.map(\.jwk) }
    }

    var jwksFetches: Int { self.state.withLock { $0.jwksFetches } }
    var discoveryFetches: Int { self.state.withLock { $0.discoveryFetches } }
    /// The query string of the last request to an extra route.
    var lastQuery: String? { self.state.withLock { $0.lastQuery } }

    func stop() async {
        try? await self.channel.close()
    }

    /// A verifier trusting this issuer, with the test CA.
    func makeVerifier(
        audience: String = "chaperone",
        minimumRefetchInterval: Duration = .seconds(30)
    ) throws -> TokenVerifier {
        TokenVerifier(
            issuers: [TrustedIssuer(issuer: self.url, audience: audience)],
            fetcher: try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(5)),
            logger: Logger(label: "test"),
            minimumRefetchInterval: minimumRefetchInterval
        )
    }

    /// Claims of a token valid now for `audience`.
    func claims(subject: String = "alice", audience: Any = "chaperone", lifetime: TimeInterval = 600) -> [String: Any] {
        let now = Date().timeIntervalSince1970.rounded(.down)
        return [
            "iss": self.identifier, "sub": subject, "aud": audience,
            "iat": now, "nbf": now, "exp": now + lifetime,
            "email": "\(subject)@example.com", "name": subject.capitalized, "groups": ["dev", "ml"],
        ]
    }

    /// Answers one request of ``IssuerHandler``.
    fileprivate func respond(method: HTTPMethod, to path: String, authorization: String? = nil, body: Data) -> (HTTPResponseStatus, Data) {
        let prefix = self.url.path
        if let answer = self.respondOAuth(method: method, path: path, body: body) {
            return answer
        }
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        if let route = self.state.withLock({ $0.routes[bare] }) {
            self.state.withLock { $0.lastQuery = path.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
            return route.authorization == authorization ? (.ok, route.body) : (.unauthorized, Data("{}".utf8))
        }
        if path == prefix + "/.well-known/openid-configuration" {
            self.state.withLock { $0.discoveryFetches += 1 }
            var document = ["issuer": self.identifier, "jwks_uri": self.identifier + "/jwks"]
            document.merge(self.oauthDiscovery) { $1 }
            return (.ok, try! JSONSerialization.data(withJSONObject: document))
        }
        if path == prefix + "/jwks" {
            let keys = self.state.withLock { state in
                state.jwksFetches += 1
                return state.keys
            }
            return (.ok, try! JSONSerialization.data(withJSONObject: ["keys": keys]))
        }
        return (.notFound, Data("not found".utf8))
    }
}

private final class StateBox: Sendable {
    let issuer = Mutex<TestIssuer?>(nil)
}

private final class IssuerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: StateBox
    private var method = HTTPMethod.GET
    private var path = "/"
    private var authorization: String?
    private var body = Data()

    init(box: StateBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.method = head.method
            self.path = head.uri
            self.authorization = head.headers.first(name: "Authorization")
            self.body = Data()
        case .body(let part):
            self.body.append(contentsOf: part.readableBytesView)
        case .end:
            let (status, body) =
                self.box.issuer.withLock { $0 }?.respond(method: self.method, to: self.path, authorization: self.authorization, body: self.body)
                ?? (.serviceUnavailable, Data())
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Runs `body` with a fresh issuer, stopping it afterwards.
func withTestIssuer<T>(
    pathPrefix: String = "",
    keys: [TestSigner],
    _ body: (TestIssuer) async throws -> T
) async throws -> T {
    let issuer = try await TestIssuer.start(pathPrefix: pathPrefix, keys: keys)
    do {
        let result = try await body(issuer)
        await issuer.stop()
        return result
    } catch {
        await issuer.stop()
        throw error
    }
}
