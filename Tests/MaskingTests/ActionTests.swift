import Testing

@testable import Masking

/// Redact, pseudonymise, hash and block.
@Suite("Actions")
struct ActionTests {
    static let key = Array("org-key-0123456789".utf8)

    static func masker(_ action: MaskingAction, _ builtins: [BuiltinDetector] = [.email, .phone, .creditCard]) -> Masker {
        try! Masker(
            rules: MaskingRuleSet(rules: builtins.map { MaskingRule.builtin($0, action: action) }),
            direction: .request
        )
    }

    @Test("pseudonyms are consistent within a session and numbered per entity from 1")
    func pseudonymConsistency() {
        let masker = Self.masker(.pseudonymise)
        let session = MaskingSession(organisationKey: Self.key)
        let first = masker.mask("a@x.io +1 415 555 0100 b@x.io a@x.io", session: session)
        #expect(first.text == "[EMAIL_1] [PHONE_1] [EMAIL_2] [EMAIL_1]")
        // A second stream of the same session (the response) continues the numbering.
        let second = masker.mask("b@x.io c@x.io +1 415 555 0100", session: session)
        #expect(second.text == "[EMAIL_2] [EMAIL_3] [PHONE_1]")
        // A new session starts over.
        #expect(masker.mask("c@x.io", session: MaskingSession(organisationKey: Self.key)).text == "[EMAIL_1]")
    }

    @Test("pseudonyms agree however the stream is split")
    func pseudonymChunking() {
        let masker = Self.masker(.pseudonymise)
        let bytes = Array("x a@x.io y b@x.io z a@x.io".utf8)
        let whole = masker.mask(bytes, session: MaskingSession()).text
        for offset in 0...bytes.count {
            let chunked = TestSupport.maskInChunks(bytes, splits: [offset], masker: masker, session: MaskingSession())
            #expect(chunked.text == whole)
        }
    }

    @Test("hash is the first 12 hex digits of HMAC-SHA256(key, value), stable across sessions")
    func hmacStability() {
        let masker = Self.masker(.hash)
        let text = "jane@example.com 4111111111111111"
        // Reference values computed with Python's hmac module.
        let expected = "[EMAIL:hmac:3581683fb16d] [CREDIT_CARD:hmac:27550e5aa50b]"
        #expect(masker.mask(text, session: MaskingSession(organisationKey: Self.key)).text == expected)
        #expect(masker.mask(text, session: MaskingSession(organisationKey: Self.key)).text == expected)
        let otherKey = masker.mask(text, session: MaskingSession(organisationKey: Array("other".utf8))).text
        #expect(otherKey != expected)
    }

    @Test("block flags the finding and the output, and still redacts")
    func blockFlag() {
        let rules = MaskingRuleSet(rules: [
            .builtin(.email, action: .redact),
            MaskingRule(id: "codename", entity: EntityType(rawValue: "PROJECT"), detector: .terms(["Nightingale"]), action: .block),
        ])
        let masker = try! Masker(rules: rules, direction: .request)
        let clean = masker.mask("mail a@x.io")
        #expect(!clean.isBlocking)
        let blocked = masker.mask("about project nightingale, mail a@x.io")
        #expect(blocked.isBlocking)
        #expect(blocked.text == "about project [PROJECT], mail [EMAIL]")
        #expect(blocked.findings.map(\.isBlocking) == [true, false])
    }

    @Test("findings carry offsets and replacements, never the value")
    func findings() {
        let output = TestSupport.redactAll.mask("hi jane@example.com!")
        #expect(output.findings.count == 1)
        let finding = output.findings[0]
        #expect(finding.ruleID == "email")
        #expect(finding.entity == .email)
        #expect(finding.inputRange == 3..<19)
        #expect(finding.outputRange == 3..<10)
        #expect(finding.replacement == "[EMAIL]")
        #expect(!String(describing: finding).contains("jane"))
    }

    @Test("directions select rules")
    func directions() throws {
        let rules = MaskingRuleSet(rules: [
            MaskingRule(id: "email", detector: .builtin(.email), action: .redact, directions: [.record]),
            MaskingRule(id: "card", detector: .builtin(.creditCard), action: .redact, directions: [.request, .response]),
        ])
        let text = "a@x.io 4111111111111111"
        #expect(try Masker(rules: rules, direction: .request).mask(text).text == "a@x.io [CREDIT_CARD]")
        #expect(try Masker(rules: rules, direction: .record).mask(text).text == "[EMAIL] 4111111111111111")
    }

    @Test("ties: longest match first, then priority, then file order")
    func overlapResolution() throws {
        // The generic secret and the GitHub detector match the same 40 bytes: priority wins.
        let token = "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"
        #expect(TestSupport.redact("token=\(token)") == "token=[GITHUB_TOKEN]")
        // Two term rules on the same word: the earlier rule wins.
        let rules = MaskingRuleSet(rules: [
            MaskingRule(id: "a", entity: EntityType(rawValue: "FIRST"), detector: .terms(["acme"]), action: .redact),
            MaskingRule(id: "b", entity: EntityType(rawValue: "SECOND"), detector: .terms(["acme", "acme corp"]), action: .redact),
        ])
        let masker = try Masker(rules: rules, direction: .request)
        #expect(masker.mask("acme and acme corp").text == "[FIRST] and [SECOND]")
    }
}
