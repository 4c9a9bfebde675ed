import Foundation
import Testing

@testable import Masking

/// Rule decoding, validation errors and custom rules.
@Suite("Rules")
struct RuleSetTests {
    @Test("rules decode from the flattened JSON/YAML shape")
    func decoding() throws {
        let json = """
            {"version": 1, "rules": [
              {"id": "email", "builtin": "email", "action": "pseudonymise"},
              {"id": "projects", "entity": "PROJECT", "terms": ["Nightingale", "Blue Bird"], "action": "block",
               "directions": ["request"]},
              {"id": "tickets", "entity": "TICKET", "regex": "ACME-[0-9]{4,6}", "maxLength": 11, "action": "hash",
               "priority": 5, "enabled": false}
            ]}
            """
        let set = try JSONDecoder().decode(MaskingRuleSet.self, from: Data(json.utf8))
        #expect(set.rules.count == 3)
        #expect(set.rules[0].entity == .email)
        #expect(set.rules[0].directions == Set(MaskingDirection.allCases))
        #expect(set.rules[0].priority == BuiltinDetector.email.defaultPriority)
        #expect(set.rules[1].detector == .terms(["Nightingale", "Blue Bird"]))
        #expect(set.rules[1].directions == [.request])
        #expect(set.rules[2].detector == .regex(pattern: "ACME-[0-9]{4,6}", maxLength: 11, caseInsensitive: false))
        #expect(!set.rules[2].isEnabled)
        // Round trip.
        let encoded = try JSONEncoder().encode(set)
        #expect(try JSONDecoder().decode(MaskingRuleSet.self, from: encoded) == set)
    }

    @Test("decoding rejects ambiguous or incomplete rules", arguments: [
        #"{"id": "x", "builtin": "email", "terms": ["a"], "action": "redact"}"#,
        #"{"id": "x", "action": "redact"}"#,
        #"{"id": "x", "entity": "T", "regex": "a+", "action": "redact"}"#,
        #"{"id": "x", "terms": ["a"], "action": "redact"}"#,
        #"{"id": "x", "entity": "lower", "terms": ["a"], "action": "redact"}"#,
        #"{"id": "x", "builtin": "email", "action": "shred"}"#,
        #"{"id": "x", "builtin": "nope", "action": "redact"}"#,
    ])
    func decodingErrors(_ json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(MaskingRule.self, from: Data(json.utf8))
        }
    }

    @Test("validation errors carry a code and say what to do")
    func validationErrors() {
        func code(_ rules: [MaskingRule]) -> MaskingError.Code? {
            do {
                try MaskingRuleSet(rules: rules).validate()
                return nil
            } catch {
                #expect(!error.message.isEmpty)
                return error.code
            }
        }
        let email = MaskingRule.builtin(.email, action: .redact)
        #expect(code([email]) == nil)
        #expect(code([email, email]) == .duplicateRuleID)
        #expect(code([MaskingRule(id: "t", entity: EntityType(rawValue: "T"), detector: .terms([]), action: .redact)]) == .invalidTerm)
        #expect(code([MaskingRule(id: "t", entity: EntityType(rawValue: "T"), detector: .terms([""]), action: .redact)]) == .invalidTerm)
        #expect(code([MaskingRule(id: "r", entity: EntityType(rawValue: "T"), detector: .regex(pattern: "(", maxLength: 5, caseInsensitive: false), action: .redact)]) == .invalidRegex)
        #expect(code([MaskingRule(id: "r", entity: EntityType(rawValue: "T"), detector: .regex(pattern: "a*", maxLength: 5, caseInsensitive: false), action: .redact)]) == .invalidRegex)
        #expect(code([MaskingRule(id: "r", entity: EntityType(rawValue: "T"), detector: .regex(pattern: "a", maxLength: 0, caseInsensitive: false), action: .redact)]) == .invalidRegex)
        #expect(code([MaskingRule(id: "p", detector: .builtin(.privateKey), action: .hash)]) == .invalidRule)
        #expect(code([MaskingRule(id: "e", entity: EntityType(rawValue: "bad name"), detector: .builtin(.email), action: .redact)]) == .invalidEntity)
        let many = (0..<65).map { MaskingRule(id: "t\($0)", entity: EntityType(rawValue: "T"), detector: .terms(["w\($0)"]), action: .redact) }
        #expect(code(many) == .tooManyRules)
    }

    @Test("terms match case-insensitively as whole words, longest first")
    func terms() throws {
        let masker = try Masker(
            rules: MaskingRuleSet(rules: [
                MaskingRule(id: "p", entity: EntityType(rawValue: "PROJECT"), detector: .terms(["Blue Bird", "Blue", "C++"]), action: .redact)
            ]),
            direction: .request
        )
        #expect(masker.mask("BLUE BIRD, blue, Bluebird, blue-bird, bluE").text == "[PROJECT], [PROJECT], Bluebird, [PROJECT]-bird, [PROJECT]")
        #expect(masker.mask("I like C++ and C++11").text == "I like [PROJECT] and [PROJECT]11")
    }

    @Test("regex rules are bounded by maxLength and anchored at word starts")
    func regex() throws {
        let masker = try Masker(
            rules: MaskingRuleSet(rules: [
                MaskingRule(id: "t", entity: EntityType(rawValue: "TICKET"), detector: .regex(pattern: #"ACME-\d{4,6}\b"#, maxLength: 11, caseInsensitive: true), action: .redact)
            ]),
            direction: .request
        )
        #expect(masker.mask("see ACME-1234, acme-123456 and XACME-1234 and ACME-1234567").text == "see [TICKET], [TICKET] and XACME-1234 and ACME-1234567")
        #expect(RegexDetector.literalPrefix(of: #"ACME-\d+"#) == Array("ACME-".utf8))
        #expect(RegexDetector.literalPrefix(of: "abc?d") == Array("ab".utf8))
        // Chunk invariance holds for regex rules too.
        let bytes = Array("x ACME-1234 y ACME-99999 z".utf8)
        let whole = masker.mask(bytes).bytes
        for offset in 0...bytes.count {
            #expect(TestSupport.maskInChunks(bytes, splits: [offset], masker: masker).bytes == whole)
        }
    }

    @Test("the defaults validate and cover every built-in detector")
    func defaults() throws {
        try MaskingRuleSet.defaults.validate()
        let builtins = MaskingRuleSet.defaults.rules.compactMap { rule -> BuiltinDetector? in
            if case .builtin(let builtin) = rule.detector { return builtin }
            return nil
        }
        #expect(Set(builtins) == Set(BuiltinDetector.allCases))
    }
}
