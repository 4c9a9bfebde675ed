import NIOCore
import NIOEmbedded
import Testing

@testable import Proxy

/// Collects what reaches the end of the pipeline.
final class Sink: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var received: [UInt8] = []
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytesView
    }
}

@Suite("ClientHello peek")
struct ClientHelloPeekHandlerTests {
    /// A peek handler whose decision adds `sink`; returns the channel and a box recording what happened.
    final class Outcome {
        var decided: [ClientHelloInfo] = []
        var rejected: [ProxyError] = []
    }

    func makeChannel(timeout: TimeAmount = .seconds(10), sink: Sink, outcome: Outcome) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let peek = ClientHelloPeekHandler(
            timeout: timeout,
            decide: { info, context in
                outcome.decided.append(info)
                return context.eventLoop.makeCompletedFuture {
                    try context.pipeline.syncOperations.addHandler(sink)
                }
            },
            reject: { error, _ in outcome.rejected.append(error) })
        try channel.pipeline.syncOperations.addHandler(peek)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test("fed one byte at a time, it decides once and replays every byte, in order, to the next handler")
    func byteAtATime() throws {
        let fixture = ClientHelloFixture.opensslLargeFragmented
        let sink = Sink()
        let outcome = Outcome()
        let channel = try makeChannel(sink: sink, outcome: outcome)
        let trailing: [UInt8] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01]  // bytes the client sends next
        for byte in fixture.bytes + trailing {
            try channel.writeInbound(channel.allocator.buffer(bytes: [byte]))
        }
        #expect(outcome.decided.count == 1)
        #expect(outcome.decided.first?.serverName == fixture.expected.serverName)
        #expect(sink.received == fixture.bytes + trailing)
        #expect(outcome.rejected.isEmpty)
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: ClientHelloPeekHandler.self) }
        _ = try channel.finish()
    }

    @Test("plain HTTP on the TLS port is rejected and the connection closed")
    func plainHTTP() throws {
        let sink = Sink()
        let outcome = Outcome()
        let channel = try makeChannel(sink: sink, outcome: outcome)
        try channel.writeInbound(channel.allocator.buffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(outcome.rejected.map(\.code) == [.clientHelloInvalid])
        #expect(!channel.isActive)
        #expect(sink.received.isEmpty)
    }

    @Test("a record header declaring more than the bound is rejected at once, before the bytes arrive")
    func oversize() throws {
        let sink = Sink()
        let outcome = Outcome()
        let channel = try makeChannel(sink: sink, outcome: outcome)
        try channel.writeInbound(channel.allocator.buffer(bytes: [0x16, 0x03, 0x01, 0xEA, 0x60]))  // 60,000 bytes
        #expect(outcome.rejected.map(\.code) == [.clientHelloInvalid])
        #expect(!channel.isActive)
    }

    @Test("a truncated ClientHello followed by silence is closed when the timeout fires")
    func timeout() throws {
        let sink = Sink()
        let outcome = Outcome()
        let channel = try makeChannel(timeout: .milliseconds(500), sink: sink, outcome: outcome)
        try channel.writeInbound(channel.allocator.buffer(bytes: ClientHelloFixture.opensslTLS13.bytes.prefix(40)))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(outcome.rejected.map(\.code) == [.clientHelloTimeout])
        #expect(!channel.isActive)
        #expect(outcome.decided.isEmpty)
    }

    @Test("a client closing mid-hello is recorded once")
    func closedEarly() throws {
        let sink = Sink()
        let outcome = Outcome()
        let channel = try makeChannel(sink: sink, outcome: outcome)
        try channel.writeInbound(channel.allocator.buffer(bytes: ClientHelloFixture.opensslTLS13.bytes.prefix(10)))
        _ = try channel.close().wait()
        #expect(outcome.rejected.count == 1)
    }
}
