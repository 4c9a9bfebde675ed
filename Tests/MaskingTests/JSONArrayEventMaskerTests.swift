import Foundation
import Testing

@testable import Masking

/// Gemini's `streamGenerateContent` without `alt=sse`: a JSON array whose elements are
/// events, the text streams running across elements.
@Suite("JSONArrayEventMasker")
struct JSONArrayEventMaskerTests {
    static func run(
        _ input: [UInt8],
        splits: [Int] = [],
        maximumElementSize: Int = 1 << 20
    ) -> (output: MaskedOutput, masker: JSONArrayEventMasker) {
        var masker = JSONArrayEventMasker(
            dialect: .gemini,
            masker: TestSupport.redactAll,
            session: MaskingSession(organisationKey: SSEEventMaskerTests.key),
            maximumElementSize: maximumElementSize
        )
        var output = MaskedOutput()
        var start = 0
        for split in splits.sorted() where split > start && split < input.count {
            output.append(masker.feed(input[start..<split]))
            start = split
        }
        output.append(masker.feed(input[start...]))
        output.append(masker.finish())
        return (output, masker)
    }

    static func run(_ input: String, splits: [Int] = []) -> MaskedOutput {
        run(Array(input.utf8), splits: splits).output
    }

    /// Whole, every split offset (a sample for long inputs), one byte at a time and seeded
    /// random splits all give the same bytes and findings.
    static func expectChunkInvariant(_ input: String, maximumElementSize: Int = 1 << 20, sourceLocation: SourceLocation = #_sourceLocation) {
        let bytes = Array(input.utf8)
        let whole = run(bytes, maximumElementSize: maximumElementSize).output
        var generator = SplitMix64(seed: 9)
        var splitSets =
            bytes.count <= 1500
            ? (0...bytes.count).map { [$0] }
            : (0..<300).map { _ in [Int.random(in: 0...bytes.count, using: &generator)] }
        splitSets.append(Array(1..<bytes.count))
        for _ in 0..<20 { splitSets.append(TestSupport.randomSplits(count: bytes.count, using: &generator)) }
        for splits in splitSets where run(bytes, splits: splits, maximumElementSize: maximumElementSize).output != whole {
            Issue.record("output differs for splits \(splits.prefix(8))", sourceLocation: sourceLocation)
            return
        }
    }

    @Test("canaries cut across elements at every offset never leak; the output stays a valid array")
    func canariesAtEveryOffset() {
        var generator = SplitMix64(seed: 78)
        let canaries = Canary.all(using: &generator).filter { ["EMAIL", "AWS_ACCESS_KEY", "ANTHROPIC_KEY"].contains($0.entity) }
        #expect(canaries.count == 3)
        for canary in canaries {
            let text = "Sure: \(canary.text) ok"
            let count = text.utf8.count
            var splitSets = (1..<count).map { [$0] }
            for _ in 0..<20 { splitSets.append((1..<4).map { _ in Int.random(in: 1..<count, using: &generator) }) }
            let expected = TestSupport.redactAll.mask(text).text
            let context = SSEFixtures.geminiArray(["Sure: ", canary.text.replacingOccurrences(of: canary.secret, with: ""), " ok"])
            let grams = SSEEventMaskerTests.leakGrams(of: canary.secret, entity: canary.entity, context: context)
            for offsets in splitSets {
                let input = SSEFixtures.geminiArray(SSEEventMaskerTests.pieces(text, at: offsets))
                let (output, masker) = Self.run(Array(input.utf8))
                #expect(!grams.isDisjoint(with: SSEEventMaskerTests.windows(Array(input.utf8))))
                SSEEventMaskerTests.expectNoLeak(output.bytes, canary: canary, context: context, grams: grams)
                #expect(SSEFixtures.geminiArrayTexts(output.bytes) == ["candidate0.text": expected], "\(canary.entity) \(offsets)")
                #expect(masker.unparsedElements == 0)
            }
        }
    }

    @Test("a clean array passes byte for byte")
    func cleanPassesExactly() {
        let input = SSEFixtures.geminiArray(["The plan is ", "ready: ship v1.2.3 ", "today."])
        let (output, masker) = Self.run(Array(input.utf8))
        #expect(output.text == input)
        #expect(output.findings.isEmpty)
        #expect(masker.unparsedElements == 0)
    }

    @Test("held text is flushed in an element of its own, with the array's separator")
    func flushElements() {
        // No finishReason: the e-mail, held at the end of the stream, comes out before the `]`.
        let open = SSEFixtures.geminiArray(["Mail jane.", "doe@example.com"], finish: false)
        let output = Self.run(open)
        #expect(SSEFixtures.geminiArrayTexts(output.bytes) == ["candidate0.text": "Mail [EMAIL]"])
        #expect(
            output.text.hasSuffix(
                "\n,\r\n" + #"{"candidates":[{"content":{"parts":[{"text":"[EMAIL]"}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-flash"}]"#))
        #expect(output.findings.map(\.replacement) == ["[EMAIL]"])
        Self.expectChunkInvariant(open)
        // A finishing element without text: the flush goes before it.
        let finishing = "{\"candidates\": [{\"content\": {\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}]}"
        let input = String(open.dropLast()) + ",\r\n" + finishing + "]"
        let flushed = Self.run(input)
        #expect(SSEFixtures.geminiArrayTexts(flushed.bytes) == ["candidate0.text": "Mail [EMAIL]"])
        #expect(flushed.text.hasSuffix(#""index":0}],"modelVersion":"gemini-2.5-flash"},"# + "\r\n" + finishing + "]"))
        Self.expectChunkInvariant(input)
    }

    @Test("function call arguments and other strings are masked in their element")
    func argumentsAndOtherStrings() {
        let call = #"{"functionCall": {"name": "send_mail","args": {"name": "jane.doe@example.com"}}}"#
        let input = #"[{"candidates": [{"content": {"parts": [\#(call)],"role": "model"},"finishReason": "STOP","index": 0,"finishMessage": "see AKIAIOSFODNN7EXAMPLE"}]}]"#
        let output = Self.run(input)
        #expect(output.text == input.replacingOccurrences(of: "jane.doe@example.com", with: "[EMAIL]").replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "[AWS_ACCESS_KEY]"))
        Self.expectChunkInvariant(input)
    }

    @Test("a body that is not an array is masked string by string")
    func notAnArray() {
        let error = "{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"bad key for jane.doe@example.com\",\n    \"status\": \"INVALID_ARGUMENT\"\n  }\n}\n"
        let (output, masker) = Self.run(Array(error.utf8))
        #expect(output.text == error.replacingOccurrences(of: "jane.doe@example.com", with: "[EMAIL]"))
        #expect(masker.unparsedElements == 0)
        Self.expectChunkInvariant(error)
        // Trailing bytes after the array, too.
        let trailing = SSEFixtures.geminiArray(["Hi."]) + "\n\"jane.doe@example.com\""
        #expect(Self.run(trailing).text.hasSuffix("]\n\"[EMAIL]\""))
    }

    @Test("an oversized element is masked string by string as it streams")
    func oversized() {
        let input = SSEFixtures.geminiArray(["pad " + String(repeating: "x ", count: 200) + "mail jane.doe@example.com", " then user@exa", "mple.com ok"])
        let (output, masker) = Self.run(Array(input.utf8), maximumElementSize: 600)
        #expect(!output.text.contains("jane") && !output.text.contains("user@exa"))
        #expect(masker.oversizedElements == 1)
        #expect(masker.unparsedElements == 1)
        #expect(SSEFixtures.geminiArrayTexts(output.bytes)?["candidate0.text"]?.hasSuffix(" then [EMAIL] ok") == true)
        Self.expectChunkInvariant(input, maximumElementSize: 600)
    }

    @Test("finish() mid-element flushes held text and masks the cut element; abort() releases nothing more")
    func cutOff() {
        let full = SSEFixtures.geminiArray(["Mail jane.", "doe@example.com", " and user@example.com"])
        let cut = String(full[..<full.range(of: "user@example.com")!.upperBound])
        let (output, masker) = Self.run(Array(cut.utf8))
        #expect(!output.text.contains("jane") && !output.text.contains("doe@") && !output.text.contains("user@"))
        #expect(masker.unparsedElements == 1)
        Self.expectChunkInvariant(cut)
        var aborted = JSONArrayEventMasker(dialect: .gemini, masker: TestSupport.redactAll, session: MaskingSession())
        var released = aborted.feed(Array(cut.utf8)).bytes
        aborted.abort()
        released += aborted.finish().bytes
        #expect(!String(decoding: released, as: UTF8.self).contains("user@") && !String(decoding: released, as: UTF8.self).contains("doe@"))
    }
}
