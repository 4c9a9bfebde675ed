import Foundation
import Masking
import NIOHTTP1
import Testing

@testable import Proxy

@Suite("Masking on the exchange path")
struct ExchangeMaskingTests {
    let masker: Masker
    let session = MaskingSession()

    init() throws {
        masker = try Masker(direction: .response)
    }

    func stream(_ contentType: String?) -> BodyMaskingStream? {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "content-type", value: contentType) }
        return BodyMaskingStream.make(for: headers, masker: masker, session: session, dialect: .openAIChat)
    }

    @Test("the masker is chosen by media type; binary bodies are left alone")
    func selection() {
        guard case .sse = stream("text/event-stream; charset=utf-8") else { Issue.record("SSE"); return }
        guard case .json = stream("application/json") else { Issue.record("JSON"); return }
        guard case .json = stream("application/vnd.api+json") else { Issue.record("+json"); return }
        guard case .text = stream("text/plain") else { Issue.record("text"); return }
        #expect(stream("audio/mpeg") == nil)
        #expect(stream("application/octet-stream") == nil)
        #expect(stream(nil) == nil)
    }

    @Test("the SSE dialect follows the provider and the path")
    func dialect() {
        #expect(SSEEventMasker.Dialect.of(.anthropic, path: "/v1/messages") == .anthropicMessages)
        #expect(SSEEventMasker.Dialect.of(.openai, path: "/v1/responses") == .openAIResponses)
        #expect(SSEEventMasker.Dialect.of(.openai, path: "/v1/chat/completions") == .openAIChat)
        #expect(SSEEventMasker.Dialect.of(.gemini, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse") == .gemini)
        let vertex = "/v1/projects/p/locations/us-central1/publishers"
        #expect(SSEEventMasker.Dialect.of(.gemini, path: "\(vertex)/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse") == .gemini)
        #expect(SSEEventMasker.Dialect.of(.gemini, path: "\(vertex)/anthropic/models/claude-sonnet-4-5:streamRawPredict") == .anthropicMessages)
        #expect(SSEEventMasker.Dialect.of(.gemini, path: "\(vertex)/mistralai/models/mistral-small-2503:streamRawPredict") == .openAIChat)
        #expect(SSEEventMasker.Dialect.of(.gemini, path: "/v1beta/openai/chat/completions") == .openAIChat)
        #expect(SSEEventMasker.Dialect.of(.gemini, path: "/v1beta1/projects/p/locations/l/endpoints/openapi/chat/completions?x=1") == .openAIChat)
        // Without alt=sse, streamGenerateContent answers a JSON array of events.
        #expect(SSEEventMasker.Dialect.streamsJSONEvents(.gemini, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent"))
        #expect(SSEEventMasker.Dialect.streamsJSONEvents(.gemini, path: "\(vertex)/google/models/gemini-2.5-pro:streamGenerateContent?key=k"))
        #expect(!SSEEventMasker.Dialect.streamsJSONEvents(.gemini, path: "/v1beta/models/gemini-2.5-flash:generateContent"))
        #expect(!SSEEventMasker.Dialect.streamsJSONEvents(.gemini, path: "\(vertex)/anthropic/models/claude-sonnet-4-5:streamRawPredict"))
        #expect(!SSEEventMasker.Dialect.streamsJSONEvents(.openai, path: "/v1/models/x:streamGenerateContent"))
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=UTF-8")
        let events = BodyMaskingStream.make(for: headers, masker: masker, session: session, dialect: .gemini, jsonEvents: true)
        guard case .jsonEvents = events else {
            Issue.record("a Gemini stream without alt=sse gets the JSON array event masker")
            return
        }
    }

    @Test("a JSON body streamed in pieces is masked like the whole, and the tally keeps no value")
    func jsonBodyAndTally() throws {
        let body = Array(#"{"messages":[{"role":"user","content":"mail jane.doe@example.com or AKIAIOSFODNN7EXAMPLE"}]}"#.utf8)
        var whole = try #require(stream("application/json"))
        var expected = whole.feed(body)
        expected.append(whole.finish())
        var pieces = try #require(stream("application/json"))
        var output = MaskedOutput()
        var tally = FindingTally()
        for byte in body {
            let part = pieces.feed([byte])
            tally.add(part.findings, direction: .request)
            output.append(part)
        }
        let last = pieces.finish()
        tally.add(last.findings, direction: .request)
        output.append(last)
        #expect(output.bytes == expected.bytes)
        let text = String(decoding: output.bytes, as: UTF8.self)
        #expect(!text.contains("jane.doe") && !text.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(tally.entries.map(\.rule).sorted() == ["aws-access-key", "email"])
        let encoded = String(decoding: try JSONEncoder().encode(tally.entries), as: UTF8.self)
        #expect(!encoded.contains("jane.doe") && !encoded.contains("AKIA"))
    }

    @Test("a rule with the block action makes the tally blocking")
    func blocking() throws {
        let rules = MaskingRuleSet(rules: [
            MaskingRule(id: "codename", entity: EntityType(rawValue: "PROJECT"), detector: .terms(["Bluebird"]), action: .block)
        ])
        let blocker = try Masker(rules: rules, direction: .request)
        var tally = FindingTally()
        tally.add(blocker.mask("about Bluebird today").findings, direction: .request)
        #expect(tally.isBlocking)
        #expect(tally.entries.first?.action == "block")
    }

    @Test("the organisation key is created once, 0600, and reused")
    func organisationKey() throws {
        let state = try TemporaryDirectory()
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Rules")
            .standardized
        let first = try MaskingEngine.load(rulesDirectory: rules, stateDirectory: state.url.path)
        let second = try MaskingEngine.load(rulesDirectory: rules, stateDirectory: state.url.path)
        #expect(first.organisationKey == second.organisationKey)
        #expect(first.organisationKey.count == 32)
        let attributes = try FileManager.default.attributesOfItem(atPath: state.url.appendingPathComponent("masking.key").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }
}
