import Foundation
import Testing

@testable import Proxy

@Suite("Body capture for the audit log")
struct BodyCaptureTests {
    @Test("chunks keep their times and join to the text")
    func chunksAndTimes() {
        var capture = BodyCapture(limit: 1_000, recordMasking: nil)
        _ = capture.append(Array("data: one\n\n".utf8), at: 10)
        _ = capture.append(Array("data: two\n\n".utf8), at: 310)
        _ = capture.finish(at: 320)
        #expect(capture.chunks.map(\.offsetMilliseconds) == [10, 310])
        #expect(capture.text == "data: one\n\ndata: two\n\n")
        #expect(!capture.isTruncated)
        #expect(capture.totalBytes == 22)
    }

    @Test("a UTF-8 character cut by a chunk boundary is kept whole, in the later chunk")
    func splitCharacter() {
        let bytes = Array("né ✓ 🙂".utf8)
        for cut in 1..<bytes.count {
            var capture = BodyCapture(limit: 1_000, recordMasking: nil)
            _ = capture.append(bytes[..<cut], at: 1)
            _ = capture.append(bytes[cut...], at: 2)
            _ = capture.finish(at: 3)
            #expect(capture.text == "né ✓ 🙂", "cut at \(cut)")
            #expect(capture.chunks.allSatisfy { !$0.text.contains("\u{FFFD}") }, "cut at \(cut)")
        }
    }

    @Test("the limit keeps a prefix on a character boundary and counts the rest")
    func limit() {
        var capture = BodyCapture(limit: 5, recordMasking: nil)
        _ = capture.append(Array("abcd".utf8), at: 1)
        _ = capture.append(Array("é and more".utf8), at: 2)
        _ = capture.finish(at: 3)
        #expect(capture.isTruncated)
        #expect(capture.text == "abcd")  // "é" would need bytes 5 and 6
        #expect(capture.totalBytes == 4 + "é and more".utf8.count)
    }

    @Test("a body that ends inside a character keeps a replacement, not silence")
    func danglingSequence() {
        var capture = BodyCapture(limit: 100, recordMasking: nil)
        _ = capture.append([0x61, 0xE2, 0x9C], at: 1)
        _ = capture.finish(at: 2)
        #expect(capture.text.hasPrefix("a"))
        #expect(capture.text.count == 2)
    }
}

@Suite("Token usage from provider bodies")
struct TokenUsageTests {
    @Test("OpenAI's usage object in a JSON body")
    func openAI() {
        let body = #"{"id":"x","usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0}}}"#
        #expect(TokenUsage.extract(from: body) == ["prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15])
    }

    @Test("Anthropic's stream: input tokens at the start, output tokens at the end")
    func anthropicStream() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}

            """
        #expect(TokenUsage.extract(from: stream) == ["input_tokens": 25, "output_tokens": 15])
    }

    @Test("Gemini's usageMetadata; braces inside strings do not confuse it; none is nil")
    func geminiAndNone() {
        #expect(TokenUsage.extract(from: #"{"usageMetadata": {"promptTokenCount": 4, "note": "}{"}}"#) == ["promptTokenCount": 4])
        #expect(TokenUsage.extract(from: #"{"text":"no usage here"}"#) == nil)
        #expect(TokenUsage.extract(from: #"{"usage":{"total_tokens":3"#) == nil)  // cut off
    }

    @Test("Only integer members count: nested objects, arrays, strings with commas, fractions and literals are skipped")
    func integerMembersOnly() {
        let body = #"{"usage": { "prompt_tokens" : 5 , "details":{"cached_tokens":2,"list":[1,{"a":3}]},"note":"a,b}","ratio":0.5,"#
            + #""flag":true,"big":-7,"completion_tokens":7 }}"#
        #expect(TokenUsage.extract(from: body) == ["prompt_tokens": 5, "big": -7, "completion_tokens": 7])
        #expect(TokenUsage.extract(from: #"{"usage":{}}"#) == nil)
    }
}

@Suite("Request facts for policy and audit")
struct RequestFactsTests {
    @Test("model from the body, else from a Gemini or Bedrock path")
    func model() {
        #expect(RequestFacts.model(inJSON: Array(#"{"model":"gpt-4o-mini","messages":[]}"#.utf8), path: "/v1/chat/completions") == "gpt-4o-mini")
        #expect(RequestFacts.model(inJSON: [], path: "/v1beta/models/gemini-1.5-pro:streamGenerateContent?alt=sse") == "gemini-1.5-pro")
        #expect(RequestFacts.model(inJSON: [], path: "/model/anthropic.claude-3-haiku/invoke") == "anthropic.claude-3-haiku")
        #expect(RequestFacts.model(inJSON: Array("not json".utf8), path: "/v1/embeddings") == nil)
    }

    @Test("tools and prompt text")
    func toolsAndText() {
        let body = Array(#"{"model":"m","tools":[{"type":"function"}],"messages":[{"role":"user","content":"hello"}]}"#.utf8)
        #expect(RequestFacts.usesTools(inJSON: body))
        #expect(!RequestFacts.usesTools(inJSON: Array(#"{"tools":[]}"#.utf8)))
        let text = RequestFacts.text(inJSON: body) ?? ""
        #expect(text.contains("hello") && !text.contains("\"m\""))
    }
}
