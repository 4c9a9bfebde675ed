import Testing

@testable import Masking

/// A credential in a URL's user part (`https://TOKEN@host`, `https://user:TOKEN@host`) is
/// reported as the credential: the e-mail and generic-secret detectors, whose character
/// classes run through the token and on into the host, yield to a credential format that
/// matches at the same start. Look-alikes are no credential and mask as before.
@Suite("Overlaps: credentials in URLs")
struct CredentialOverlapTests {
    typealias Case = DetectorPositiveTests.Case

    static let ghp = "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"
    static let gho = "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"
    static let npm = "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"
    static let fineGrained =
        "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHI"
    static let gitlab = "glpat-Xk9mQ2vLp8Rt4wZ7yB3c"
    /// The checksum of ``ghp`` with its last character changed: not a GitHub token.
    static let ghpLookAlike = "ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3"

    static let cases: [Case] = [
        .init(
            input: "git clone https://\(ghp)@github.com/org/repo.git",
            expected: "git clone https://[GITHUB_TOKEN]@github.com/org/repo.git"
        ),
        .init(
            input: "https://x-access-token:\(ghp)@github.com/org/repo.git",
            expected: "https://x-access-token:[GITHUB_TOKEN]@github.com/org/repo.git"
        ),
        .init(
            input: "url = https://oauth:\(gho)@github.com/",
            expected: "url = https://oauth:[GITHUB_TOKEN]@github.com/"
        ),
        .init(
            input: "https://x-access-token:\(fineGrained)@github.com/org/repo",
            expected: "https://x-access-token:[GITHUB_TOKEN]@github.com/org/repo"
        ),
        .init(
            input: "registry=https://\(npm)@registry.npmjs.org/",
            expected: "registry=https://[NPM_TOKEN]@registry.npmjs.org/"
        ),
        .init(
            input: "https://oauth2:\(gitlab)@gitlab.com/group/project.git",
            expected: "https://oauth2:[GITLAB_TOKEN]@gitlab.com/group/project.git"
        ),
        // After a key word the generic secret's value runs on into the host; the token wins.
        .init(input: "token=\(ghp)@github.com", expected: "token=[GITHUB_TOKEN]@github.com"),
        .init(input: "\"\(ghp)@github.com\"", expected: "\"[GITHUB_TOKEN]@github.com\""),
    ]

    @Test("a token in a URL's user part is the token", arguments: cases)
    func tokenInURL(_ example: Case) {
        #expect(TestSupport.redact(example.input) == example.expected)
    }

    @Test("with the defaults the finding is the token's and no e-mail is pseudonymised")
    func findingsWithDefaults() {
        let output = TestSupport.defaults.mask("https://x-access-token:\(Self.ghp)@github.com/org/repo.git")
        #expect(output.text == "https://x-access-token:[GITHUB_TOKEN]@github.com/org/repo.git")
        #expect(output.findings.map(\.entity) == [.githubToken])
        #expect(output.findings.first?.inputRange == 23..<63)
    }

    @Test("generated tokens of every checksummed prefix, bare and after a user name")
    func generatedTokensInURLs() {
        var generator = SplitMix64(seed: 0x7572_6C73)
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"] {
            let entity = prefix == "npm_" ? "[NPM_TOKEN]" : "[GITHUB_TOKEN]"
            for _ in 0..<50 {
                let token = Canary.checksummedToken(prefix: prefix, using: &generator)
                #expect(TestSupport.redact("https://\(token)@github.com/o/r") == "https://\(entity)@github.com/o/r")
                #expect(
                    TestSupport.redact("https://x-access-token:\(token)@github.com/o/r.git")
                        == "https://x-access-token:\(entity)@github.com/o/r.git"
                )
            }
        }
    }

    @Test("look-alikes are no credential: the e-mail or generic secret still masks them", arguments: [
        Case(input: "https://\(ghpLookAlike)@github.com/org/repo.git", expected: "https://[EMAIL]/org/repo.git"),
        Case(
            input: "https://x-access-token:\(ghpLookAlike)@github.com/org/repo.git",
            expected: "https://x-access-token:[GENERIC_SECRET]"
        ),
        Case(input: "https://ghp_short@github.com", expected: "https://[EMAIL]"),
        Case(input: "mail jane.doe@example.com now", expected: "mail [EMAIL] now"),
        Case(input: "https://deploy@example.com/x", expected: "https://[EMAIL]/x"),
    ])
    func lookAlikes(_ example: Case) {
        #expect(TestSupport.redact(example.input) == example.expected)
    }

    @Test("only the broad heuristics yield: a custom rule longer than the credential still wins")
    func longerCustomRuleWins() throws {
        let masker = try Masker(
            rules: MaskingRuleSet(rules: [
                .builtin(.githubToken, action: .redact),
                .builtin(.email, action: .redact),
                MaskingRule(
                    id: "git-url",
                    entity: EntityType(rawValue: "GIT_CREDENTIAL_URL"),
                    detector: .regex(pattern: #"ghp_[A-Za-z0-9]{36}@github\.com"#, maxLength: 51, caseInsensitive: false),
                    action: .redact
                ),
            ]),
            direction: .request
        )
        #expect(masker.mask("https://\(Self.ghp)@github.com/o").text == "https://[GIT_CREDENTIAL_URL]/o")
    }

    @Test("without a credential rule the e-mail detector masks the user part as before")
    func withoutCredentialRule() throws {
        let masker = try Masker(
            rules: MaskingRuleSet(rules: [.builtin(.email, action: .redact)]),
            direction: .request
        )
        #expect(masker.mask("https://\(Self.ghp)@github.com/o").text == "https://[EMAIL]/o")
    }

    @Test("a split anywhere gives the same output", arguments: cases.map(\.input))
    func chunkInvariant(_ text: String) {
        let bytes = Array(text.utf8)
        for offset in 0...bytes.count {
            ChunkInvarianceTests.expectInvariant(bytes, splits: [offset])
        }
        ChunkInvarianceTests.expectInvariant(bytes, splits: Array(1..<bytes.count))
    }
}
