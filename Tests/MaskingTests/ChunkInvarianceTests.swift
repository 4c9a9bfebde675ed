import Testing

@testable import Masking

/// Invariant 5: however a stream is cut into chunks, the masked output and the findings
/// equal masking the whole input at once.
@Suite("Chunk invariance")
struct ChunkInvarianceTests {
    static let key = Array("chunk-invariance".utf8)

    /// Masks `bytes` whole and with the given splits; both must agree exactly.
    static func expectInvariant(
        _ bytes: [UInt8],
        splits: [Int],
        masker: Masker = TestSupport.redactAll,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let whole = masker.mask(bytes, session: MaskingSession(organisationKey: key))
        let chunked = TestSupport.maskInChunks(
            bytes,
            splits: splits,
            masker: masker,
            session: MaskingSession(organisationKey: key)
        )
        #expect(chunked.bytes == whole.bytes, "splits \(splits)", sourceLocation: sourceLocation)
        #expect(chunked.findings == whole.findings, "splits \(splits)", sourceLocation: sourceLocation)
    }

    /// A random document: prose, numbers, punctuation, near misses and planted values.
    static func randomDocument(using generator: inout SplitMix64) -> String {
        let canaries = Canary.all(using: &generator).map(\.text)
        let filler = [
            "the", "model", "said", "a", "version", "1.2.3.4", "order", "123456789", "2024-01-15", "12:30:45",
            "token", "=", ":", "\"", "password", "jane.", "doe", "@", "example", ".com", "+44", "020", "7946",
            "4111", "-", "sk-", "ghp_", "AKIA", "eyJ", "DE89", "::", "ff", "naïve", "日本語", "😀", "\n", "  ",
            "-----", "BEGIN", "PRIVATE KEY", "xoxb-", "BSN:", "AB", "12", "34", "56", "C",
            "https://", "hooks.slack.com/services/", "T0123ABCD/", "glpat-", "@github.com", "x-access-token:",
            "api_key=", "YOUR_API_KEY_HERE", "****",
        ]
        var parts: [String] = []
        for _ in 0..<Int.random(in: 20...80, using: &generator) {
            if Int.random(in: 0..<5, using: &generator) == 0 {
                parts.append(canaries.randomElement(using: &generator)!)
            } else {
                parts.append(filler.randomElement(using: &generator)!)
            }
            parts.append(Int.random(in: 0..<3, using: &generator) == 0 ? "" : " ")
        }
        return parts.joined()
    }

    @Test("random documents, random splits down to one byte", arguments: 0..<40)
    func randomDocuments(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) &* 0x1234_5677 &+ 1)
        let bytes = Array(Self.randomDocument(using: &generator).utf8)
        for masker in [TestSupport.redactAll, TestSupport.defaults] {
            Self.expectInvariant(bytes, splits: Array(1..<bytes.count), masker: masker)
            for _ in 0..<10 {
                Self.expectInvariant(bytes, splits: TestSupport.randomSplits(count: bytes.count, using: &generator), masker: masker)
            }
        }
    }

    @Test("every split offset around every planted canary")
    func everyOffsetAroundCanaries() {
        var generator = SplitMix64(seed: 5)
        for canary in Canary.all(using: &generator) {
            let bytes = Array("before \(canary.text) after".utf8)
            for offset in 0...bytes.count {
                Self.expectInvariant(bytes, splits: [offset])
            }
        }
    }

    @Test("two split offsets anywhere in the e-mail fixtures")
    func emailFixtures() {
        for text in ["jane.doe@example.com", "user@example.com", "contact jane.doe@example.com.", "user@exa mple.com"] {
            let bytes = Array(text.utf8)
            for first in 0...bytes.count {
                for second in first...bytes.count {
                    Self.expectInvariant(bytes, splits: [first, second])
                }
            }
        }
    }

    @Test("the e-mail split fixtures mask as a whole")
    func emailSplitFixtures() {
        let session = MaskingSession(organisationKey: Self.key)
        var stream = TestSupport.redactAll.makeStream(session: session)
        var output = stream.feed(Array("mail jane.".utf8))
        #expect(output.text == "mail ")
        output.append(stream.feed(Array("doe@example.com and user@exa".utf8)))
        output.append(stream.feed(Array("mple.com.".utf8)))
        output.append(stream.finish())
        #expect(output.text == "mail [EMAIL] and [EMAIL].")
    }

    @Test("adjacent and overlapping candidates", arguments: [
        "jane@example.com4111111111111111",
        "4111111111111111jane@example.com",
        "a@b.cojane@x.io",
        "+1 415 555 0100 536-22-8451 192.168.0.1",
        "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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",
        "AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE",
        "token=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",
        "password=jane@example.com.xyzABC123",
        "10.0.0.1.10.0.0.2 2001:db8::1:10.0.0.1",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig.eyJhbGciOiJIUzI1NiJ9.x.y",
        "-----BEGIN PRIVATE KEY----------BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----abc-----END CERTIFICATE-----def-----END EC PRIVATE KEY-----tail",
        "https://x-access-token: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@github.com/o/r.git",
        "https://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@jane@example.com",
        "token=ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3@github.com/o/r.git",
        "https://hooks.slack.com/services/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hooks.slack.com/x",
        "secret: https://hooks.slack.com/triggers/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?x",
        "glpat-Xk9mQ2vLp8Rt4wZ7yB3cglpat-Ab3dEf9hIj2kLm4nOp6qRs8tUv0wXy_z-1.01.0r1a2b3c4",
        "api_key=YOUR_API_KEY_HERE password=Xk9mQ2vL****Rt4wZ7yB token: q8Lz3Nw1Xv7Kd2MfYp4R",
    ])
    func adjacentCandidates(_ text: String) {
        let bytes = Array(text.utf8)
        for offset in 0...bytes.count {
            Self.expectInvariant(bytes, splits: [offset])
        }
        Self.expectInvariant(bytes, splits: Array(1..<bytes.count))
    }

    @Test("a PEM key over many small chunks")
    func pemInSmallChunks() {
        var generator = SplitMix64(seed: 11)
        let pem = Canary.all(using: &generator).first { $0.entity == "PRIVATE_KEY" }!.text
        let bytes = Array(("x" + pem + " and jane@example.com").utf8)
        for _ in 0..<50 {
            let splits = (0..<bytes.count / 2).map { _ in Int.random(in: 1..<bytes.count, using: &generator) }
            Self.expectInvariant(bytes, splits: splits)
        }
        let output = TestSupport.maskInChunks(bytes, splits: Array(1..<bytes.count))
        #expect(output.text == "xkey:\n[PRIVATE_KEY]\nafter and [EMAIL]")
    }

    @Test("output chunks never end inside a UTF-8 sequence")
    func utf8Boundaries() {
        let bytes = Array("naïve 日本語 😀 jane@example.com 😀".utf8)
        var stream = TestSupport.redactAll.makeStream(session: MaskingSession())
        var all: [UInt8] = []
        for byte in bytes {
            let output = stream.feed([byte])
            #expect(String(validating: output.bytes, as: UTF8.self) != nil)
            all += output.bytes
        }
        all += stream.finish().bytes
        #expect(String(decoding: all, as: UTF8.self) == "naïve 日本語 😀 [EMAIL] 😀")
    }

    @Test("hold-back never exceeds the bound outside a key block")
    func holdBackBound() {
        var generator = SplitMix64(seed: 77)
        let masker = TestSupport.redactAll
        for _ in 0..<20 {
            let bytes = Array(Self.randomDocument(using: &generator).utf8)
            var stream = masker.makeStream(session: MaskingSession())
            for byte in bytes {
                _ = stream.feed([byte])
                if !stream.isInsideBlock {
                    #expect(stream.heldBackByteCount <= masker.maximumHoldBack)
                }
            }
        }
        // Prose with no candidates is released at once, short of the last word.
        var stream = masker.makeStream(session: MaskingSession())
        let output = stream.feed(Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(output.text == "The quick brown fox jumps over the lazy ")
    }
}
