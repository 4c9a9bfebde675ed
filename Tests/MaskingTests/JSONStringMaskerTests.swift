import Foundation
import Testing

@testable import Masking

/// The JSON framing adapter: string values only, escapes decoded for detection and kept
/// byte for byte where nothing is masked.
@Suite("JSONStringMasker")
struct JSONStringMaskerTests {
    static func mask(_ json: String, splits: [Int] = []) -> MaskedOutput {
        let bytes = Array(json.utf8)
        var masker = JSONStringMasker(masker: TestSupport.redactAll, session: MaskingSession(organisationKey: [1]))
        var output = MaskedOutput()
        var start = 0
        for split in splits.sorted() where split > start && split < bytes.count {
            output.append(masker.feed(bytes[start..<split]))
            start = split
        }
        output.append(masker.feed(bytes[start...]))
        output.append(masker.finish())
        return output
    }

    @Test("documents without findings come out byte for byte identical")
    func passthrough() {
        let json = #"{"a\"b": "x\u0041\n\t\"\\\/ \ud83d\ude00 é", "n": [1, 2.5e3, true, null, "v1.2.3.4"], "k\u0040": {}}"#
        let output = Self.mask(json)
        #expect(output.text == json)
        #expect(output.findings.isEmpty)
    }

    @Test("escaped values are decoded for detection; keys are left alone")
    func escapes() {
        let json = #"{"text": "mail jane\u0040example.com now", "jane@example.com": "ok", "list": ["4111 1111 1111 1111"]}"#
        let output = Self.mask(json)
        #expect(output.text == #"{"text": "mail [EMAIL] now", "jane@example.com": "ok", "list": ["[CREDIT_CARD]"]}"#)
        let raw = Array(json.utf8)
        let finding = output.findings[0]
        #expect(String(decoding: raw[finding.inputRange], as: UTF8.self) == #"jane\u0040example.com"#)
        #expect(String(decoding: output.bytes[finding.outputRange], as: UTF8.self) == "[EMAIL]")
        #expect((try? JSONSerialization.jsonObject(with: Data(output.bytes))) != nil)
    }

    @Test("a PEM key with escaped newlines inside a string")
    func pemInString() {
        let json = #"{"content": "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nbye"}"#
        #expect(Self.mask(json).text == #"{"content": "key:\n[PRIVATE_KEY]\nbye"}"#)
    }

    @Test("chunk invariance over escapes, keys and values")
    func chunkInvariance() {
        var generator = SplitMix64(seed: 8)
        let json = #"{"messages": [{"role": "user", "content": "mail jane\u0040example.com, card 4111\u00201111 1111 1111 \ud83d\ude00 token=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"}], "x\"y": "a\\b\u00e9 +44 20 7946 0958"}"#
        let whole = Self.mask(json)
        #expect(whole.findings.count == 4)
        #expect((try? JSONSerialization.jsonObject(with: Data(whole.bytes))) != nil)
        let count = json.utf8.count
        for offset in 0...count {
            let output = Self.mask(json, splits: [offset])
            #expect(output.bytes == whole.bytes)
            #expect(output.findings == whole.findings)
        }
        for _ in 0..<30 {
            let output = Self.mask(json, splits: TestSupport.randomSplits(count: count, using: &generator))
            #expect(output.bytes == whole.bytes)
            #expect(output.findings == whole.findings)
        }
        #expect(Self.mask(json, splits: Array(1..<count)).bytes == whole.bytes)
    }

    @Test("a streamed JSON array (Gemini's, without alt=sse) masks each value in small chunks")
    func geminiStreamedArray() {
        // What streamGenerateContent sends as `application/json` when not asked for SSE: a
        // pretty-printed array, elements separated by `,\r\n`, each a whole GenerateContentResponse.
        // Each value is masked on its own here; the proxy gives that path the JSONArrayEventMasker,
        // whose text streams also join a value cut across elements.
        let element = { (text: String, extra: String) in
            "{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n            \"text\": \(SSEFixtures.literal(text))\n          }\(extra)\n        ],\n        \"role\": \"model\"\n      },\n      \"index\": 0\n    }\n  ],\n  \"usageMetadata\": {\n    \"promptTokenCount\": 8,\n    \"totalTokenCount\": 8\n  },\n  \"modelVersion\": \"gemini-2.5-flash\"\n}\n"
        }
        let call = ",\n          {\n            \"functionCall\": {\"name\": \"send_mail\", \"args\": {\"to\": \"ops@example.org\", \"name\": \"AKIAIOSFODNN7EXAMPLE\"}}\n          }"
        let json = "[" + [element("Mail jane.doe@example.com now. ", ""), element("Key sk-ant-api03-" + String(repeating: "Qr7", count: 31) + "AA ok.", ""), element("Done.", call)]
            .joined(separator: ",\r\n") + "]"
        let whole = Self.mask(json)
        #expect(whole.findings.map(\.entity.rawValue) == ["EMAIL", "ANTHROPIC_KEY", "EMAIL", "AWS_ACCESS_KEY"])
        let masked = whole.text
        #expect(!masked.contains("jane") && !masked.contains("Qr7Qr7") && !masked.contains("ops@") && !masked.contains("AKIA"))
        #expect(masked.contains(#""text": "Mail [EMAIL] now. ""#) && masked.contains(#""to": "[EMAIL]", "name": "[AWS_ACCESS_KEY]""#))
        // Everything but the values is kept: keys, whitespace, the `,\r\n` separators.
        #expect(masked.components(separatedBy: ",\r\n").count == 3)
        let array = (try? JSONSerialization.jsonObject(with: Data(whole.bytes))) as? [[String: Any]]
        #expect(array?.count == 3)
        var generator = SplitMix64(seed: 3)
        let count = json.utf8.count
        for offset in 0...count {
            #expect(Self.mask(json, splits: [offset]) == whole)
        }
        for _ in 0..<20 {
            #expect(Self.mask(json, splits: TestSupport.randomSplits(count: count, using: &generator)) == whole)
        }
        #expect(Self.mask(json, splits: Array(1..<count)) == whole)
    }

    @Test("malformed escapes and lone surrogates do not break the stream")
    func malformed() {
        for json in [#""\u12G4 x""#, #""\ud83d x""#, #""\ud83d\n x""#, #""\ud83d\u0041""#, #""abc\"#, #""\u00"#] {
            let whole = Self.mask(json)
            #expect(whole.text == json)
            for offset in 0...json.utf8.count {
                #expect(Self.mask(json, splits: [offset]).bytes == whole.bytes)
            }
        }
    }
}
