@testable import Masking

/// Shared maskers and helpers for the tests.
enum TestSupport {
    /// Every built-in detector with the `redact` action, so outputs read `[ENTITY]`.
    static let redactAll: Masker = {
        let rules = MaskingRuleSet(rules: BuiltinDetector.allCases.map { MaskingRule.builtin($0, action: .redact) })
        return try! Masker(rules: rules, direction: .request)
    }()

    /// The shipped defaults for the request direction.
    static let defaults: Masker = try! Masker(direction: .request)

    /// Masks `text` with ``redactAll`` and returns the text.
    static func redact(_ text: String) -> String {
        redactAll.mask(text).text
    }

    /// Masks `bytes` by feeding the given chunk lengths, then finishing.
    static func maskInChunks(
        _ bytes: [UInt8],
        splits: [Int],
        masker: Masker = redactAll,
        session: MaskingSession = MaskingSession(organisationKey: Array("test-key".utf8))
    ) -> MaskedOutput {
        var stream = masker.makeStream(session: session)
        var output = MaskedOutput()
        var start = 0
        for split in splits.sorted() where split > start && split < bytes.count {
            output.append(stream.feed(bytes[start..<split]))
            start = split
        }
        output.append(stream.feed(bytes[start...]))
        output.append(stream.finish())
        return output
    }

    /// Random chunk boundaries for `count` bytes, biased towards small chunks.
    static func randomSplits(count: Int, using generator: inout SplitMix64) -> [Int] {
        var splits: [Int] = []
        var position = 0
        while position < count {
            let maximum = Int.random(in: 0..<4, using: &generator) == 0 ? 64 : 6
            position += Int.random(in: 1...maximum, using: &generator)
            splits.append(position)
        }
        return splits
    }
}

/// Generators of valid secrets with correct checksums, and look-alikes.
enum Canary {
    static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func randomString(_ count: Int, from alphabet: [UInt8], using generator: inout SplitMix64) -> String {
        String(decoding: (0..<count).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
    }

    /// A GitHub/npm-style token whose last six characters are base62(CRC-32(random 30)).
    static func checksummedToken(prefix: String, using generator: inout SplitMix64) -> String {
        let random = randomString(30, from: base62, using: &generator)
        let suffix = String(decoding: Base62.checksumSuffix(of: Array(random.utf8)), as: UTF8.self)
        return prefix + random + suffix
    }

    /// A token with the same shape whose checksum is wrong.
    static func badChecksumToken(prefix: String, using generator: inout SplitMix64) -> String {
        var token = Array(checksummedToken(prefix: prefix, using: &generator).utf8)
        let last = token.count - 1
        token[last] = token[last] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        return String(decoding: token, as: UTF8.self)
    }

    /// A Luhn-valid card number with the given prefix and length.
    static func cardNumber(prefix: String, length: Int, using generator: inout SplitMix64) -> String {
        var digits = prefix.compactMap { $0.wholeNumberValue }
        while digits.count < length - 1 { digits.append(Int.random(in: 0...9, using: &generator)) }
        for check in 0...9 where Luhn.isValid(digits + [check]) {
            digits.append(check)
            break
        }
        return digits.map(String.init).joined()
    }

    /// Canaries of every entity with the text they are planted in; `secret` is the part
    /// that must never appear in output.
    static func all(using generator: inout SplitMix64) -> [(entity: String, text: String, secret: String)] {
        let ghp = checksummedToken(prefix: "ghp_", using: &generator)
        let npm = checksummedToken(prefix: "npm_", using: &generator)
        let alnum = base62
        let url = base62 + Array("-_".utf8)
        let openAI = "sk-proj-" + randomString(58, from: url, using: &generator) + "T3BlbkFJ"
            + randomString(58, from: url, using: &generator)
        let anthropic = "sk-ant-api03-" + randomString(93, from: url, using: &generator) + "AA"
        let aws = "AKIA" + randomString(16, from: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8), using: &generator)
        let awsSecret = randomString(40, from: alnum + Array("/+".utf8), using: &generator)
        let google = "AIza" + randomString(35, from: url, using: &generator)
        let stripe = "sk_live_" + randomString(32, from: alnum, using: &generator)
        let slack = "xoxb-1234567890123-1234567890123-" + randomString(24, from: alnum, using: &generator)
        let upperDigits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let webhook = "https://hooks.slack.com/services/T" + randomString(10, from: upperDigits, using: &generator) + "/B"
            + randomString(10, from: upperDigits, using: &generator) + "/" + randomString(24, from: alnum, using: &generator)
        let gitlab = "glpat-" + randomString(20, from: alnum, using: &generator)
        let ghpInURL = checksummedToken(prefix: "ghp_", using: &generator)
        let generic = randomString(24, from: alnum, using: &generator)
        let card = cardNumber(prefix: "4", length: 16, using: &generator)
        let jwtHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        let jwt = jwtHeader + "." + randomString(40, from: url, using: &generator) + "."
            + randomString(43, from: url, using: &generator)
        let pemBody = (0..<6).map { _ in randomString(64, from: alnum + Array("/+".utf8), using: &generator) }
            .joined(separator: "\n")
        let pem = "-----BEGIN RSA PRIVATE KEY-----\n\(pemBody)\n-----END RSA PRIVATE KEY-----"
        return [
            ("EMAIL", "mail jane.doe@example.com now", "jane.doe@example.com"),
            ("PHONE", "call +44 20 7946 0958 today", "+44 20 7946 0958"),
            ("CREDIT_CARD", "card \(card) ok", card),
            ("US_SSN", "ssn 536-22-8451 ok", "536-22-8451"),
            ("IBAN", "iban DE89 3704 0044 0532 0130 00 ok", "DE89 3704 0044 0532 0130 00"),
            ("IP_ADDRESS", "host 192.168.14.201 up", "192.168.14.201"),
            ("IP_ADDRESS", "host 2001:db8:85a3::8a2e:370:7334 up", "2001:db8:85a3::8a2e:370:7334"),
            ("UK_NINO", "nino AB 12 34 56 C ok", "AB 12 34 56 C"),
            ("ES_DNI", "dni 12345678Z ok", "12345678Z"),
            ("NL_BSN", "BSN: 111222333 ok", "111222333"),
            ("GITHUB_TOKEN", "token \(ghp) end", ghp),
            ("NPM_TOKEN", "npm \(npm) end", npm),
            ("OPENAI_KEY", "key \(openAI) end", openAI),
            ("ANTHROPIC_KEY", "key \(anthropic) end", anthropic),
            ("AWS_ACCESS_KEY", "id \(aws) end", aws),
            ("AWS_SECRET_KEY", "aws_secret_access_key = \(awsSecret)\n", awsSecret),
            ("GOOGLE_API_KEY", "key \(google) end", google),
            ("STRIPE_KEY", "key \(stripe) end", stripe),
            ("SLACK_TOKEN", "slack \(slack) end", slack),
            ("SLACK_WEBHOOK", "notify \(webhook) done", webhook),
            ("GITLAB_TOKEN", "token \(gitlab) end", gitlab),
            ("GITHUB_TOKEN", "clone https://x-access-token:\(ghpInURL)@github.com/org/repo.git now", ghpInURL),
            ("JWT", "jwt \(jwt) end", jwt),
            ("GENERIC_SECRET", "password=\(generic) end", generic),
            ("PRIVATE_KEY", "key:\n\(pem)\nafter", pem),
        ]
    }
}
