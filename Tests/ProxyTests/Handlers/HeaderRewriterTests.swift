import NIOHTTP1
import Testing

@testable import Proxy

@Suite("Header rewriting across the proxy")
struct HeaderRewriterTests {
    @Test("hop-by-hop headers and the ones Connection names are dropped; Host is added; Expect is dropped")
    func upstreamHead() {
        let head = HTTPRequestHead(
            version: .http1_0, method: .POST, uri: "/v1/chat/completions",
            headers: [
                "Connection": "keep-alive, X-Hop", "Keep-Alive": "timeout=5", "X-Hop": "1", "TE": "trailers",
                "Expect": "100-continue", "Authorization": "Bearer sk-test", "Content-Length": "2",
            ])
        let rewritten = HeaderRewriter.upstreamHead(from: head, serverName: "api.openai.com", keepUpgrade: false)
        #expect(rewritten.version == .http1_1)
        #expect(rewritten.headers["host"] == ["api.openai.com"])
        #expect(rewritten.headers["authorization"] == ["Bearer sk-test"])
        #expect(rewritten.headers["content-length"] == ["2"])
        for name in ["connection", "keep-alive", "x-hop", "te", "expect"] {
            #expect(!rewritten.headers.contains(name: name), "\(name) must not cross the proxy")
        }
    }

    @Test("an upgrade keeps Connection and Upgrade")
    func upgradeKept() {
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/v1/realtime",
            headers: ["Host": "api.openai.com", "Connection": "Upgrade", "Upgrade": "websocket"])
        let rewritten = HeaderRewriter.upstreamHead(from: head, serverName: "api.openai.com", keepUpgrade: true)
        #expect(rewritten.headers["upgrade"] == ["websocket"])
        #expect(rewritten.headers["connection"] == ["Upgrade"])
        #expect(rewritten.headers["host"] == ["api.openai.com"])
    }
}
