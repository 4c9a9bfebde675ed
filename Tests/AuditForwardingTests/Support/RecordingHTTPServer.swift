import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server that records each request and answers with scripted statuses (then 200).
final class RecordingHTTPServer: Sendable {
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: Data
    }

    private struct State {
        var script: [HTTPResponseStatus]
        var requests: [Request] = []
    }

    private final class Recorder: Sendable {
        let state: Mutex<State>
        init(script: [HTTPResponseStatus]) { state = Mutex(State(script: script)) }
    }

    private let recorder: Recorder
    private let channel: any Channel

    var port: Int { channel.localAddress!.port! }
    var requests: [Request] { recorder.state.withLock { $0.requests } }

    init(answering script: [HTTPResponseStatus] = []) async throws {
        let recorder = Recorder(script: script)
        self.recorder = recorder
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [recorder] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(record: { request in
                        recorder.state.withLock { state in
                            state.requests.append(request)
                            return state.script.isEmpty ? .ok : state.script.removeFirst()
                        }
                    }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func shutdown() async throws { try await channel.close().get() }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let record: @Sendable (Request) -> HTTPResponseStatus
        var head: HTTPRequestHead?
        var body = Data()

        init(record: @escaping @Sendable (Request) -> HTTPResponseStatus) { self.record = record }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = Data()
            case .body(let buffer):
                body.append(contentsOf: buffer.readableBytesView)
            case .end:
                guard let head else { return }
                let status = record(Request(method: head.method, uri: head.uri, headers: head.headers, body: body))
                let answer = status == .ok ? "{}" : "{\"code\":14,\"message\":\"try later\"}"
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(answer.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
