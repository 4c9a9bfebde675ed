import Foundation
import Testing

@testable import Masking

/// The Gemini dialect (`streamGenerateContent?alt=sse`): a text stream per candidate,
/// Google's CRLF framing, function call arguments masked per event, and every event
/// without text passed byte for byte.
@Suite("SSEEventMasker, Gemini")
struct SSEEventMaskerGeminiTests {
    typealias Fixtures = SSEFixtures

    static func run(_ input: String, splits: [Int] = []) -> (output: MaskedOutput, sse: SSEEventMasker) {
        SSEEventMaskerTests.run(Array(input.utf8), dialect: .gemini, splits: splits)
    }

    static func texts(_ output: MaskedOutput) -> [String: String] {
        Fixtures.texts(output.bytes, dialect: .gemini).streams
    }

    /// A `GenerateContentResponse` event of the given candidates, with the usual trailer.
    static func event(_ candidates: [String], ending: String = "\n") -> String {
        Fixtures.geminiEvent(#"{"candidates": [\#(candidates.joined(separator: ","))],\#(Fixtures.geminiTrailer())}"#, ending: ending)
    }

    /// Splits an SSE byte stream into its raw events (each with its blank line).
    static func rawEvents(_ text: String, ending: String) -> [String] {
        text.components(separatedBy: ending + ending).dropLast().map { $0 + ending + ending }
    }

    @Test("canaries cut across two or more events at every offset never leak", arguments: ["\r\n", "\n"])
    func canariesAtEveryOffset(ending: String) {
        var generator = SplitMix64(seed: 77)
        let canaries = Canary.all(using: &generator).filter { ["EMAIL", "AWS_ACCESS_KEY", "ANTHROPIC_KEY"].contains($0.entity) }
        #expect(canaries.count == 3)
        for canary in canaries {
            let text = "Sure: \(canary.text) ok"
            let count = text.utf8.count
            var splitSets = (1..<count).map { [$0] }
            for events in 3...6 {
                for _ in 0..<10 {
                    splitSets.append((1..<events).map { _ in Int.random(in: 1..<count, using: &generator) })
                }
            }
            let expected = TestSupport.redactAll.mask(text).text
            let context = Fixtures.gemini(["Sure: ", canary.text.replacingOccurrences(of: canary.secret, with: ""), " ok"], ending: ending)
            let grams = SSEEventMaskerTests.leakGrams(of: canary.secret, entity: canary.entity, context: context)
            for offsets in splitSets {
                let input = Fixtures.gemini(SSEEventMaskerTests.pieces(text, at: offsets), ending: ending)
                let (output, sse) = Self.run(input)
                #expect(!grams.isDisjoint(with: SSEEventMaskerTests.windows(Array(input.utf8))))
                SSEEventMaskerTests.expectNoLeak(output.bytes, canary: canary, context: context, grams: grams)
                #expect(Self.texts(output) == ["candidate0.text": expected], "\(canary.entity) \(offsets)")
                #expect(sse.unparsedEvents == 0)
                // The framing is kept: no line ending other than the input's.
                let bare = output.text.replacingOccurrences(of: ending, with: "")
                #expect(!bare.contains("\n") && !bare.contains("\r"))
            }
        }
    }

    @Test("CRLF and LF framing give the same text and are chunk invariant", arguments: ["\r\n", "\n"])
    func framing(ending: String) {
        let input = Fixtures.gemini(["Contact jane.", "doe@exam", "ple.com or AKIAIOSFOD", "NN7EXAMPLE", " today."], ending: ending)
        let (output, _) = Self.run(input)
        #expect(Self.texts(output) == ["candidate0.text": "Contact [EMAIL] or [AWS_ACCESS_KEY] today."])
        #expect(output.findings.map(\.entity.rawValue) == ["EMAIL", "AWS_ACCESS_KEY"])
        #expect(Self.rawEvents(output.text, ending: ending).count == 5)
        SSEEventMaskerTests.expectChunkInvariant(Array(input.utf8), dialect: .gemini)
    }

    @Test("events without text pass byte for byte with Google's CRLF framing")
    func cleanEventsExact() {
        let input = Fixtures.geminiWithoutText(ending: "\r\n")
        let (output, sse) = Self.run(input)
        #expect(output.text == input)
        #expect(output.findings.isEmpty)
        #expect(sse.unparsedEvents == 0)
    }

    @Test("a clean stream keeps every event as received but for where its text is cut")
    func untouchedEventsExact() {
        let pieces = ["Hello", ", world. The ", "plan is \"ready\" — naïve 😀", " and v1.2.3 ships ", "today."]
        let input = Fixtures.gemini(pieces, ending: "\r\n")
        let (output, _) = Self.run(input)
        #expect(output.findings.isEmpty)
        #expect(Self.texts(output) == ["candidate0.text": pieces.joined()])
        let inputEvents = Self.rawEvents(input, ending: "\r\n")
        let outputEvents = Self.rawEvents(output.text, ending: "\r\n")
        #expect(inputEvents.count == outputEvents.count)
        let text = try! Regex(#""text": "(?:[^"\\]|\\.)*""#)
        for (sent, received) in zip(inputEvents, outputEvents) {
            #expect(sent.replacing(text, with: #""text": _"#) == received.replacing(text, with: #""text": _"#))
        }
    }

    @Test("each candidate is its own stream; an omitted index is the candidate's position")
    func candidates() {
        var generator = SplitMix64(seed: 5)
        let key = Canary.all(using: &generator).first { $0.entity == "AWS_ACCESS_KEY" }!.secret
        let cut = key.index(key.startIndex, offsetBy: 9)
        let part = Fixtures.geminiTextPart
        let input = [
            Self.event([Fixtures.geminiCandidate([part("Write to jane.", false)], index: nil), Fixtures.geminiCandidate([part("Key \(key[..<cut])", false)], index: 1)]),
            Self.event([Fixtures.geminiCandidate([part("doe@example.com now", false)]), Fixtures.geminiCandidate([part("\(key[cut...]) ok", false)], index: 1)]),
            Self.event([Fixtures.geminiCandidate([part(".", false)], index: 1, finish: "STOP")]),
            Self.event([Fixtures.geminiCandidate([part(".", false)], index: 0, finish: "STOP")]),
        ].joined()
        let (output, _) = Self.run(input)
        #expect(Self.texts(output) == ["candidate0.text": "Write to [EMAIL] now.", "candidate1.text": "Key [AWS_ACCESS_KEY] ok."])
        #expect(!output.text.contains(String(key[..<cut])) && !output.text.contains("jane"))
        SSEEventMaskerTests.expectChunkInvariant(Array(input.utf8), dialect: .gemini)
    }

    @Test("a usage-only final event passes unchanged, after or without a finishReason")
    func usageOnlyFinalEvent() {
        let usage = Fixtures.geminiEvent(
            #"{"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 2,"totalTokenCount": 10},"modelVersion": "gemini-2.5-flash","responseId": "mIbTaJW3Eo6e1MkPq_ndgQ8"}"#,
            ending: "\r\n")
        // After the finishing event: nothing is held any more, the usage event ends the output.
        let finished = Fixtures.gemini(["Mail jane.", "doe@example.com"], ending: "\r\n") + usage
        let (output, _) = Self.run(finished)
        #expect(output.text.hasSuffix(usage))
        #expect(Self.texts(output) == ["candidate0.text": "Mail [EMAIL]"])
        // Without one: the held tail is flushed at the end of the body, in a text event of its
        // own that repeats no usage.
        let open = ["Mail jane.", "doe@example.com"].map { Self.event([Fixtures.geminiCandidate([Fixtures.geminiTextPart($0)])], ending: "\r\n") }
        let (flushed, _) = Self.run(open.joined() + usage)
        #expect(Self.texts(flushed) == ["candidate0.text": "Mail [EMAIL]"])
        let events = Self.rawEvents(flushed.text, ending: "\r\n")
        #expect(events.count == 4)
        #expect(events[2] == usage)
        #expect(
            events[3] == "data: " + #"{"candidates":[{"content":{"parts":[{"text":"[EMAIL]"}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-flash","responseId":"mIbTaJW3Eo6e1MkPq_ndgQ8"}"#
                + "\r\n\r\n")
        SSEEventMaskerTests.expectChunkInvariant(Array((open.joined() + usage).utf8), dialect: .gemini)
    }

    @Test("function call arguments are masked in their event, whatever the member name")
    func functionCallArguments() {
        var generator = SplitMix64(seed: 12)
        let anthropic = Canary.all(using: &generator).first { $0.entity == "ANTHROPIC_KEY" }!.secret
        let call = #"{"functionCall": {"name": "send_mail","args": {"to": "jane.doe\u0040example.com","name": "AKIAIOSFODNN7EXAMPLE","cc": ["ops@example.org", 2],"body": {"text": "key \#(anthropic)"}},"id": "call_8f2a"}}"#
        let input = Self.event([Fixtures.geminiCandidate([Fixtures.geminiTextPart("Sending now."), call], finish: "STOP")])
        let (output, sse) = Self.run(input)
        let expectedCall = #"{"functionCall": {"name": "send_mail","args": {"to": "[EMAIL]","name": "[AWS_ACCESS_KEY]","cc": ["[EMAIL]", 2],"body": {"text": "key [ANTHROPIC_KEY]"}},"id": "call_8f2a"}}"#
        #expect(output.text == input.replacingOccurrences(of: call, with: expectedCall))
        #expect(output.findings.map(\.entity.rawValue) == ["EMAIL", "AWS_ACCESS_KEY", "EMAIL", "ANTHROPIC_KEY"])
        #expect(sse.unparsedEvents == 0)
        // Findings in `args` are relative to the raw JSON of the arguments.
        let args = #"{"to": "jane.doe\u0040example.com""#
        #expect(output.findings[0].inputRange == 8..<(args.utf8.count - 1))
        SSEEventMaskerTests.expectChunkInvariant(Array(input.utf8), dialect: .gemini)
    }

    @Test("thought summaries are their own stream and end where the answer starts")
    func thoughts() {
        let signature = #""thoughtSignature": "CiQB0e2Kb7Qh2x1Kxv9G3r3w5g==""#
        let input = [
            Self.event([Fixtures.geminiCandidate([Fixtures.geminiTextPart("Ask jane.", thought: true)])]),
            Self.event([Fixtures.geminiCandidate([Fixtures.geminiTextPart("doe@example.com first", thought: true)])]),
            Self.event([Fixtures.geminiCandidate([#"{"text": "I'll ask her.",\#(signature)}"#], finish: "STOP")]),
        ].joined()
        let (output, _) = Self.run(input)
        #expect(Self.texts(output) == ["candidate0.thought": "Ask [EMAIL] first", "candidate0.text": "I'll ask her."])
        #expect(output.text.contains(signature))
        // The held end of the thoughts (`first`) comes out in a flush before the answer's event.
        let events = Self.rawEvents(output.text, ending: "\n")
        #expect(events.count == 4)
        #expect(events[2].contains(#","thought":true}"#))
        #expect(events[3] == Self.rawEvents(input, ending: "\n")[2])
        SSEEventMaskerTests.expectChunkInvariant(Array(input.utf8), dialect: .gemini)
    }

    @Test("two text parts in one event are one stream; the finishing event ends it at its last part")
    func partsInOneEvent() {
        let part = Fixtures.geminiTextPart
        let input =
            Self.event([Fixtures.geminiCandidate([part("Mail jane.", false)])])
            + Self.event([Fixtures.geminiCandidate([part("doe@exa", false), part("mple.com.", false)], finish: "STOP")])
        let (output, _) = Self.run(input)
        #expect(Self.texts(output) == ["candidate0.text": "Mail [EMAIL]."])
        #expect(Self.rawEvents(output.text, ending: "\n").count == 2)
        SSEEventMaskerTests.expectChunkInvariant(Array(input.utf8), dialect: .gemini)
    }

    @Test("an error event flushes held text before it and passes unchanged")
    func errorEvent() {
        let error = Fixtures.geminiEvent(#"{"error": {"code": 500,"message": "An internal error has occurred.","status": "INTERNAL"}}"#)
        let input = Self.event([Fixtures.geminiCandidate([Fixtures.geminiTextPart("Mail jane.doe@example.com")])]) + error
        let (output, _) = Self.run(input)
        #expect(output.text.hasSuffix(error))
        #expect(Self.texts(output) == ["candidate0.text": "Mail [EMAIL]"])
        #expect(Self.rawEvents(output.text, ending: "\n").count == 3)
    }
}
