import Testing

@testable import Masking

/// No raw canary substring of four or more bytes that is unique to the canary may appear
/// in output, however the stream is split or when it is aborted.
@Suite("Zero leaks")
struct ZeroLeakTests {
    /// The 4-byte substrings of `secret` that occur neither in `context` nor in any
    /// placeholder text.
    static func uniqueGrams(of secret: String, context: String, output placeholders: [String]) -> [[UInt8]] {
        let secret = Array(secret.utf8)
        let haystacks = [Array(context.utf8)] + placeholders.map { Array($0.utf8) }
        guard secret.count >= 4 else { return [] }
        return (0...secret.count - 4).map { Array(secret[$0..<$0 + 4]) }.filter { gram in
            !haystacks.contains { contains($0, gram) }
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...haystack.count - needle.count).contains { Array(haystack[$0..<$0 + needle.count]) == needle }
    }

    @Test("no canary leaks at any split offset")
    func splitsDoNotLeak() {
        var generator = SplitMix64(seed: 3)
        for canary in Canary.all(using: &generator) {
            let text = "before \(canary.text) after"
            let bytes = Array(text.utf8)
            let context = text.replacingFirst(canary.secret, with: "")
            for offset in 0...bytes.count {
                let output = TestSupport.maskInChunks(bytes, splits: [offset])
                let grams = Self.uniqueGrams(of: canary.secret, context: context, output: output.findings.map(\.replacement))
                #expect(!grams.isEmpty)
                for gram in grams where Self.contains(output.bytes, gram) {
                    Issue.record("\(canary.entity) leaks '\(String(decoding: gram, as: UTF8.self))' at split \(offset)")
                }
            }
        }
    }

    @Test("an aborted stream releases nothing of a canary")
    func abortDoesNotLeak() {
        var generator = SplitMix64(seed: 4)
        for canary in Canary.all(using: &generator) {
            let text = "before \(canary.text) after"
            let bytes = Array(text.utf8)
            let context = text.replacingFirst(canary.secret, with: "")
            let grams = Self.uniqueGrams(of: canary.secret, context: context, output: ["[\(canary.entity)]"])
            for offset in 0...bytes.count {
                var stream = TestSupport.redactAll.makeStream(session: MaskingSession())
                var released: [UInt8] = []
                for chunk in [bytes[..<offset], bytes[offset...]].prefix(offset < bytes.count ? 1 : 2) {
                    released += stream.feed(chunk).bytes
                }
                stream.abort()
                for gram in grams where Self.contains(released, gram) {
                    Issue.record("\(canary.entity) leaks '\(String(decoding: gram, as: UTF8.self))' on abort at \(offset)")
                }
            }
        }
    }

    @Test("a stream that ends inside a key block releases none of it")
    func unterminatedKeyBlock() {
        let text = "ok -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7bP9q2LmZ\nTAIL"
        let output = TestSupport.redactAll.mask(text)
        #expect(output.text == "ok [PRIVATE_KEY]")
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
