import Foundation
import Testing

@testable import Masking

/// The SSE adapter: per-stream masking of provider deltas, byte-exact passthrough of
/// everything clean, chunk invariance and zero leaks across event boundaries.
@Suite("SSEEventMasker")
struct SSEEventMaskerTests {
    static let key = Array("sse-tests".utf8)

    /// Feeds `input` cut at `splits`, then finishes.
    static func run(
        _ input: [UInt8],
        dialect: SSEEventMasker.Dialect,
        splits: [Int] = [],
        masker: Masker = TestSupport.redactAll,
        maximumEventSize: Int = 1 << 20
    ) -> (output: MaskedOutput, sse: SSEEventMasker) {
        var sse = SSEEventMasker(
            dialect: dialect,
            masker: masker,
            session: MaskingSession(organisationKey: key),
            maximumEventSize: maximumEventSize
        )
        var output = MaskedOutput()
        var start = 0
        for split in splits.sorted() where split > start && split < input.count {
            output.append(sse.feed(input[start..<split]))
            start = split
        }
        output.append(sse.feed(input[start...]))
        output.append(sse.finish())
        return (output, sse)
    }

    static func run(_ input: String, dialect: SSEEventMasker.Dialect, splits: [Int] = []) -> MaskedOutput {
        run(Array(input.utf8), dialect: dialect, splits: splits).output
    }

    /// Whole, every single split offset, one byte at a time and seeded random splits all
    /// give the same bytes and findings.
    static func expectChunkInvariant(
        _ input: [UInt8],
        dialect: SSEEventMasker.Dialect,
        seed: UInt64 = 1,
        maximumEventSize: Int = 1 << 20,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let whole = run(input, dialect: dialect, maximumEventSize: maximumEventSize).output
        var generator = SplitMix64(seed: seed)
        // Every single split offset for short inputs, a seeded sample of them otherwise.
        var splitSets =
            input.count <= 1200
            ? (0...input.count).map { [$0] }
            : (0..<300).map { _ in [Int.random(in: 0...input.count, using: &generator)] }
        splitSets.append(Array(1..<input.count))
        for _ in 0..<20 { splitSets.append(TestSupport.randomSplits(count: input.count, using: &generator)) }
        for splits in splitSets {
            let chunked = run(input, dialect: dialect, splits: splits, maximumEventSize: maximumEventSize).output
            if chunked != whole {
                Issue.record("output differs for splits \(splits.prefix(8))", sourceLocation: sourceLocation)
                return
            }
        }
    }

    /// The canary texts that must never leak, with the secret part.
    static func canaries() -> [(entity: String, text: String, secret: String)] {
        var generator = SplitMix64(seed: 21)
        let all = Canary.all(using: &generator)
        let pick = ["EMAIL", "ANTHROPIC_KEY", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PRIVATE_KEY"]
        return all.filter { pick.contains($0.entity) }
    }

    /// `text` cut into pieces at `offsets`.
    static func pieces(_ text: String, at offsets: [Int]) -> [String] {
        let bytes = Array(text.utf8)
        var result: [String] = []
        var start = 0
        for offset in offsets.sorted() + [bytes.count] where offset >= start {
            result.append(String(decoding: bytes[start..<offset], as: UTF8.self))
            start = offset
        }
        return result
    }

    /// The 4-byte windows of `bytes`, packed.
    static func windows(_ bytes: [UInt8]) -> Set<UInt32> {
        guard bytes.count >= 4 else { return [] }
        var result = Set<UInt32>()
        for index in 0...(bytes.count - 4) {
            result.insert(UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3]))
        }
        return result
    }

    /// The 4-byte pieces of a secret, raw and JSON-escaped, that occur neither in the
    /// clean context nor in a placeholder: any of them in output is a leak.
    static func leakGrams(of secret: String, entity: String, context: String) -> Set<UInt32> {
        let escaped = SSEFixtures.literal(secret).dropFirst().dropLast()
        let grams = windows(Array(secret.utf8)).union(windows(Array(escaped.utf8)))
        return grams.subtracting(windows(Array(context.utf8))).subtracting(windows(Array("[\(entity)]".utf8)))
    }

    static func expectNoLeak(
        _ output: [UInt8],
        canary: (entity: String, text: String, secret: String),
        context: String,
        grams: Set<UInt32>? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let grams = grams ?? leakGrams(of: canary.secret, entity: canary.entity, context: context)
        #expect(!grams.isEmpty, sourceLocation: sourceLocation)
        if !grams.isDisjoint(with: windows(output)) {
            Issue.record("\(canary.entity) leaks", sourceLocation: sourceLocation)
        }
    }

    // MARK: Passthrough

    @Test("events without text pass byte-exact", arguments: SSEEventMasker.Dialect.allCases)
    func cleanEventsPassExactly(dialect: SSEEventMasker.Dialect) {
        let input: String
        switch dialect {
        case .openAIChat: input = SSEFixtures.chatRole + SSEFixtures.chatFinish() + SSEFixtures.chatUsage + SSEFixtures.done
        case .openAIResponses: input = SSEFixtures.responses([])
        case .anthropicMessages:
            input = SSEFixtures.anthropicStart + SSEFixtures.anthropicPing + SSEFixtures.anthropicBlockStart(0)
                + SSEFixtures.anthropicBlockStop(0) + SSEFixtures.anthropicEnd
        case .gemini: input = SSEFixtures.geminiWithoutText()
        }
        let (output, sse) = Self.run(Array(input.utf8), dialect: dialect)
        #expect(output.text == input)
        #expect(output.findings.isEmpty)
        #expect(sse.unparsedEvents == 0)
    }

    @Test("clean text keeps every non-delta event exact and its text whole", arguments: SSEEventMasker.Dialect.allCases)
    func cleanTextStream(dialect: SSEEventMasker.Dialect) {
        let pieces = ["Hello", ", wor", "ld! Here is ", "version 1.2.3 of", " the naïve 日本語 😀 plan.\n", "Done \"quoted\" \\ ok"]
        let input = SSEFixtures.stream(dialect, pieces)
        let output = Self.run(input, dialect: dialect)
        #expect(output.findings.isEmpty)
        let texts = SSEFixtures.texts(output.bytes, dialect: dialect)
        #expect(texts.streams.count == 1)
        #expect(texts.streams.values.first == pieces.joined())
        #expect(texts.streams["<invalid>"] == nil)
        // Every input event that carries no delta text appears unchanged, in order.
        let outputText = output.text
        var cursor = outputText.startIndex
        for event in input.components(separatedBy: "\n\n").dropLast() where !pieces.contains(where: { event.contains(SSEFixtures.literal($0)) }) {
            guard let range = outputText.range(of: event + "\n\n", range: cursor..<outputText.endIndex) else {
                Issue.record("event missing or reordered: \(event.prefix(80))")
                return
            }
            cursor = range.upperBound
        }
    }

    @Test("a delta released whole keeps its original literal, escapes included")
    func originalLiteralKept() {
        let event = #"data: {"choices":[{"index":0,"delta":{"content":"caf\u00e9 ok. "},"finish_reason":null}]}"# + "\n\n"
        let output = Self.run(event + SSEFixtures.done, dialect: .openAIChat)
        #expect(output.text.hasPrefix(event))
    }

    // MARK: Masking

    @Test("the e-mail split fixtures mask in the event where they complete")
    func emailSplitFixtures() {
        let output = Self.run(SSEFixtures.chat(["Mail jane.", "doe@example.com or user@exa", "mple.com."]), dialect: .openAIChat)
        let events = SSEFixtures.events(output.bytes).map(\.data)
        let contents = events.compactMap { data -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
            let choice = (object["choices"] as? [[String: Any]])?.first
            return (choice?["delta"] as? [String: Any])?["content"] as? String
        }
        // `user@example.com.` is held at its end (it could go on as `.com.au`) and comes
        // out in the flush event before the finishing chunk.
        #expect(contents == ["", "Mail ", "[EMAIL] or ", "", "[EMAIL]."])
        #expect(!output.text.contains("jane"))
        #expect(!output.text.contains("exa"))
        #expect(output.findings.map(\.replacement) == ["[EMAIL]", "[EMAIL]"])
        // Findings are relative to the stream's text.
        let text = "Mail jane.doe@example.com or user@example.com."
        #expect(output.findings[0].inputRange == 5..<25)
        #expect(String(Array(text.utf8)[output.findings[1].inputRange].map { Character(UnicodeScalar($0)) }) == "user@example.com")
        #expect(output.findings[0].outputRange == 5..<12)
    }

    @Test("a PEM key over 20 events, an sk-ant key in 3, per dialect", arguments: SSEEventMasker.Dialect.allCases)
    func knownLeakFixtures(dialect: SSEEventMasker.Dialect) {
        var generator = SplitMix64(seed: 9)
        let canaries = Canary.all(using: &generator)
        let pem = canaries.first { $0.entity == "PRIVATE_KEY" }!
        let anthropic = canaries.first { $0.entity == "ANTHROPIC_KEY" }!
        let pemBytes = pem.text.utf8.count
        let pemPieces = Self.pieces(pem.text, at: (1..<20).map { $0 * pemBytes / 20 })
        let keyBytes = anthropic.text.utf8.count
        let keyPieces = Self.pieces(anthropic.text, at: [keyBytes / 3, 2 * keyBytes / 3])
        for (canary, pieces) in [(pem, pemPieces), (anthropic, keyPieces)] {
            let input = SSEFixtures.stream(dialect, pieces)
            let output = Self.run(input, dialect: dialect)
            let context = SSEFixtures.stream(dialect, [canary.text.replacingOccurrences(of: canary.secret, with: "")])
            #expect(!Self.leakGrams(of: canary.secret, entity: canary.entity, context: context).isDisjoint(with: Self.windows(Array(input.utf8))))
            Self.expectNoLeak(output.bytes, canary: canary, context: context)
            let expected = TestSupport.redactAll.mask(canary.text).text
            #expect(SSEFixtures.texts(output.bytes, dialect: dialect).streams.values.first == expected)
        }
    }

    @Test("canaries split across 2…5 events at every offset never leak", arguments: SSEEventMasker.Dialect.allCases)
    func canariesAtEveryOffset(dialect: SSEEventMasker.Dialect) {
        var generator = SplitMix64(seed: 33)
        for canary in Self.canaries() {
            let text = "Sure: \(canary.text) ok"
            let count = text.utf8.count
            var splitSets = (1..<count).map { [$0] }
            for events in 3...5 {
                for _ in 0..<15 {
                    splitSets.append((1..<events).map { _ in Int.random(in: 1..<count, using: &generator) })
                }
            }
            let expected = TestSupport.redactAll.mask(text).text
            let context = SSEFixtures.stream(dialect, ["Sure: ", canary.text.replacingOccurrences(of: canary.secret, with: ""), " ok"])
            let grams = Self.leakGrams(of: canary.secret, entity: canary.entity, context: context)
            for offsets in splitSets {
                let pieces = Self.pieces(text, at: offsets)
                let input = SSEFixtures.stream(dialect, pieces)
                let output = Self.run(input, dialect: dialect)
                // Control: the leak check sees the canary in the raw input.
                #expect(!grams.isDisjoint(with: Self.windows(Array(input.utf8))))
                Self.expectNoLeak(output.bytes, canary: canary, context: context, grams: grams)
                let texts = SSEFixtures.texts(output.bytes, dialect: dialect)
                #expect(texts.streams.values.first == expected, "\(canary.entity) \(offsets)")
                #expect(texts.snapshots.allSatisfy { $0 == expected })
            }
        }
    }

    @Test("two interleaved choices and a tool call each mask as their own stream")
    func openAIChoicesAndTools() {
        let input = SSEFixtures.chatTwoChoicesWithTools(
            ["Writing to jane.", "doe@exam", "ple.com now", "."],
            arguments: [#"{"to":"user@exa"#, #"mple.com","#, #""body":"hi jane.doe@"#, #"example.com"}"#]
        )
        let output = Self.run(input, dialect: .openAIChat)
        let texts = SSEFixtures.texts(output.bytes, dialect: .openAIChat).streams
        #expect(texts["choice0.content"] == "Writing to [EMAIL] now.")
        #expect(texts["choice1.tool0"] == #"{"to":"[EMAIL]","body":"hi [EMAIL]"}"#)
        #expect(texts["<invalid>"] == nil)
        #expect(output.findings.count == 3)
        // The tool call's id and name are not repeated by a flush event.
        #expect(output.text.components(separatedBy: "call_Qf3xk2").count == 2)
        Self.expectChunkInvariant(Array(input.utf8), dialect: .openAIChat)
    }

    @Test("Anthropic thinking, text and tool JSON blocks")
    func anthropicBlocks() {
        let input = SSEFixtures.anthropicWithTools(
            thinking: ["The user jane.", "doe@example.com wants"],
            text: ["I'll mail ", "user@exa", "mple.com"],
            json: [#"{"to": "us"#, #"er@example.com"}"#]
        )
        let output = Self.run(input, dialect: .anthropicMessages)
        let texts = SSEFixtures.texts(output.bytes, dialect: .anthropicMessages).streams
        #expect(texts["block0"] == "The user [EMAIL] wants")
        #expect(texts["block1"] == "I'll mail [EMAIL]")
        #expect(texts["block2"] == #"{"to": "[EMAIL]"}"#)
        #expect(output.text.contains(#""signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds""#))
        Self.expectChunkInvariant(Array(input.utf8), dialect: .anthropicMessages)
    }

    @Test("Responses deltas, function arguments and the done snapshots agree")
    func responsesSnapshots() {
        let input = SSEFixtures.responses(["Contact jane.", "doe@example.com."], functionArguments: [#"{"to":"user@ex"#, #"ample.com"}"#])
        let output = Self.run(input, dialect: .openAIResponses)
        let texts = SSEFixtures.texts(output.bytes, dialect: .openAIResponses)
        #expect(texts.streams["response.output_text.delta.0"] == "Contact [EMAIL].")
        #expect(texts.streams["response.function_call_arguments.delta.1"] == #"{"to":"[EMAIL]"}"#)
        #expect(texts.snapshots == ["Contact [EMAIL].", #"{"to":"[EMAIL]"}"#])
        #expect(!output.text.contains("jane") && !output.text.contains("user@"))
        Self.expectChunkInvariant(Array(input.utf8), dialect: .openAIResponses)
    }

    // MARK: Chunk invariance and framing

    @Test("every split of realistic fixtures gives identical output", arguments: SSEEventMasker.Dialect.allCases)
    func chunkInvariance(dialect: SSEEventMasker.Dialect) {
        var generator = SplitMix64(seed: 44)
        let canary = Self.canaries().first { $0.entity == "AWS_SECRET_KEY" }!
        let text = "Key follows. \(canary.text) and naïve 😀 mail jane.doe@example.com end"
        let offsets = (0..<6).map { _ in Int.random(in: 1..<text.utf8.count, using: &generator) }
        let input = Array(SSEFixtures.stream(dialect, Self.pieces(text, at: offsets)).utf8)
        Self.expectChunkInvariant(input, dialect: dialect, seed: 45)
    }

    @Test("CRLF and CR line endings are parsed and kept", arguments: ["\r\n", "\r"])
    func lineEndings(ending: String) {
        for dialect in SSEEventMasker.Dialect.allCases {
            let pieces = ["Mail jane.", "doe@example.com", " now"]
            let input = SSEFixtures.stream(dialect, pieces).replacingOccurrences(of: "\n", with: ending)
            let output = Self.run(input, dialect: dialect)
            #expect(SSEFixtures.texts(output.bytes, dialect: dialect).streams.values.first == "Mail [EMAIL] now")
            #expect(!output.text.replacingOccurrences(of: ending, with: "").contains("\n"))
            if ending == "\r" { #expect(!output.text.contains("\r\n")) }
            Self.expectChunkInvariant(Array(input.utf8), dialect: dialect)
        }
        // Mixed endings, `\r` and `\n` of one terminator in different chunks.
        let mixed = "data: [DONE]\r\n\r\n: c\r\r"
        for split in 0...mixed.utf8.count {
            #expect(Self.run(mixed, dialect: .openAIChat, splits: [split]).text == mixed)
        }
    }

    @Test("comments, retry, id and unknown fields pass exactly")
    func otherFields() {
        let input = ": OPENROUTER PROCESSING\n\nretry: 3000\n\nid: 42\nevent: message\n" + SSEFixtures.chatContent("Hi. ")
            + ":ping\nfoo\nbar: baz\n\n" + SSEFixtures.done
        let (output, sse) = Self.run(Array(input.utf8), dialect: .openAIChat)
        #expect(output.text.hasPrefix(": OPENROUTER PROCESSING\n\nretry: 3000\n\nid: 42\nevent: message\n"))
        #expect(output.text.contains(":ping\nfoo\nbar: baz\n\n"))
        #expect(SSEFixtures.texts(output.bytes, dialect: .openAIChat).streams["choice0.content"] == "Hi. ")
        #expect(sse.unparsedEvents == 0)
        // A comment holding a secret is masked too, the framing kept.
        #expect(Self.run(": jane.doe@example.com\n\n", dialect: .openAIChat).text == ": [EMAIL]\n\n")
    }

    @Test("malformed JSON and non-string deltas pass through and are counted")
    func malformed() {
        let malformed = #"data: {"choices":[{"index":0,"delta":{"content":"hi"}"# + "\n\n"
        let number = #"data: {"choices":[{"index":0,"delta":{"content":42}}]}"# + "\n\n"
        let anthropic = #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":{"x":1}}}"# + "\n\n"
        let (output, sse) = Self.run(Array((malformed + number + SSEFixtures.done).utf8), dialect: .openAIChat)
        #expect(output.text == malformed + number + SSEFixtures.done)
        #expect(sse.unparsedEvents == 2)
        let (anthropicOutput, anthropicSSE) = Self.run(Array(anthropic.utf8), dialect: .anthropicMessages)
        #expect(anthropicOutput.text == anthropic)
        #expect(anthropicSSE.unparsedEvents == 1)
        // Fail safe: malformed data is masked as plain text.
        let leaky = #"data: {"choices":[{"delta":{"content":"jane.doe@example.com"}"# + "\n\n"
        #expect(Self.run(leaky, dialect: .openAIChat).text == #"data: {"choices":[{"delta":{"content":"[EMAIL]"}"# + "\n\n")
        for text in [malformed, "data: {\"a\":\n\n", "data: \u{1}\u{2}\n\n", "data: [[[[[[[[[[\n\n"] {
            Self.expectChunkInvariant(Array(text.utf8), dialect: .openAIChat)
        }
    }

    @Test("an oversized event is masked as plain text while it streams")
    func oversized() {
        let input = SSEFixtures.chat(["pad " + String(repeating: "x ", count: 100) + "mail jane.doe@example.com", " ok"])
        let (output, sse) = Self.run(Array(input.utf8), dialect: .openAIChat, maximumEventSize: 320)
        #expect(!output.text.contains("jane"))
        #expect(sse.oversizedEvents == 1)
        #expect(sse.unparsedEvents == 1)
        Self.expectChunkInvariant(Array(input.utf8), dialect: .openAIChat, maximumEventSize: 320)
    }

    // MARK: Lifecycle

    @Test("finish() mid-stream flushes held text and masks a cut event", arguments: SSEEventMasker.Dialect.allCases)
    func finishMidStream(dialect: SSEEventMasker.Dialect) {
        let full = SSEFixtures.stream(dialect, ["Mail jane.", "doe@example.com"])
        // Cut just after the second delta event (before any end event).
        let marker = SSEFixtures.literal("doe@example.com")
        let end = full.range(of: marker)!.upperBound
        let cut = String(full[..<full[end...].range(of: "\n\n")!.upperBound]) + "data: {\"partial\": \"user@example.com"
        let (output, sse) = Self.run(Array(cut.utf8), dialect: dialect)
        #expect(!output.text.contains("jane") && !output.text.contains("doe@") && !output.text.contains("user@"))
        let streams = SSEFixtures.texts(output.bytes, dialect: dialect).streams.filter { $0.key != "<invalid>" }
        #expect(Array(streams.values) == ["Mail [EMAIL]"])
        #expect(output.text.hasSuffix("data: {\"partial\": \"[EMAIL]"))
        #expect(sse.unparsedEvents == 1)
        Self.expectChunkInvariant(Array(cut.utf8), dialect: dialect)
    }

    @Test("abort() releases nothing further")
    func abort() {
        for canary in Self.canaries() {
            let pieces = Self.pieces("x " + canary.text, at: [4, 12])
            let context = SSEFixtures.chat(["x " + canary.text.replacingOccurrences(of: canary.secret, with: "")])
            let input = Array(SSEFixtures.chat(pieces).utf8)
            let cut = input.count / 2
            var sse = SSEEventMasker(dialect: .openAIChat, masker: TestSupport.redactAll, session: MaskingSession())
            var released = sse.feed(input[..<cut]).bytes
            sse.abort()
            released += sse.finish().bytes
            Self.expectNoLeak(released, canary: canary, context: context)
        }
    }

    @Test("a byte order mark before the first field is tolerated")
    func byteOrderMark() {
        let input = "\u{FEFF}" + SSEFixtures.chat(["Hi jane.", "doe@example.com"])
        let output = Self.run(input, dialect: .openAIChat)
        #expect(output.text.hasPrefix("\u{FEFF}data: "))
        #expect(SSEFixtures.texts(output.bytes, dialect: .openAIChat).streams["choice0.content"] == "Hi [EMAIL]")
    }
}
