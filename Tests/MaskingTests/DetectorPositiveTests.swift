import Testing

@testable import Masking

/// Each built-in detector on values it must find, in context.
@Suite("Detectors: positives")
struct DetectorPositiveTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: String
        var testDescription: String { input }
    }

    static let cases: [Case] = [
        // E-mail
        .init(input: "mail jane.doe@example.com.", expected: "mail [EMAIL]."),
        .init(input: "<a.b+tag@mail.example.co.uk>", expected: "<[EMAIL]>"),
        .init(input: "foo=jane@example.com", expected: "foo=[EMAIL]"),
        .init(input: "x@ab.io and y@cd.io", expected: "[EMAIL] and [EMAIL]"),
        .init(input: "jane@example.com.123", expected: "[EMAIL].123"),
        .init(input: "müller@example.de", expected: "mü[EMAIL]"),
        // Phone
        .init(input: "call +1 415 555 0100 now", expected: "call [PHONE] now"),
        .init(input: "call +4915112345678", expected: "call [PHONE]"),
        .init(input: "tel +44 (0)20 7946 0958.", expected: "tel [PHONE]."),
        .init(input: "(415) 555-0100", expected: "[PHONE]"),
        .init(input: "415-555-0100 or 415.555.0100", expected: "[PHONE] or [PHONE]"),
        .init(input: "1-800-555-0199", expected: "[PHONE]"),
        .init(input: "020 7946 0958", expected: "[PHONE]"),
        .init(input: "07700 900123", expected: "[PHONE]"),
        .init(input: "Paris +33 1 42 68 53 00.", expected: "Paris [PHONE]."),
        .init(input: "mobile +31 6 12345678", expected: "mobile [PHONE]"),
        .init(input: "030/901820", expected: "[PHONE]"),
        .init(input: "0151 12345678", expected: "[PHONE]"),
        // Payment cards
        .init(input: "visa 4111111111111111 ok", expected: "visa [CREDIT_CARD] ok"),
        .init(input: "4111 1111 1111 1111", expected: "[CREDIT_CARD]"),
        .init(input: "id,4111111111111111,2031-01", expected: "id,[CREDIT_CARD],2031-01"),  // a CSV field
        .init(input: "5555-5555-5555-4444", expected: "[CREDIT_CARD]"),
        .init(input: "amex 3782 822463 10005", expected: "amex [CREDIT_CARD]"),
        .init(input: "mc 2223003122003222", expected: "mc [CREDIT_CARD]"),
        .init(input: "discover 6011111111111117", expected: "discover [CREDIT_CARD]"),
        .init(input: "jcb 3530111333300000", expected: "jcb [CREDIT_CARD]"),
        .init(input: "diners 36227206271667", expected: "diners [CREDIT_CARD]"),
        .init(input: "4111 1111 1111 1111 2024", expected: "[CREDIT_CARD] 2024"),
        // SSN
        .init(input: "ssn 536-22-8451", expected: "ssn [US_SSN]"),
        .init(input: "ssn 536 22 8451.", expected: "ssn [US_SSN]."),
        // IBAN
        .init(input: "DE89370400440532013000", expected: "[IBAN]"),
        .init(input: "iban: DE89 3704 0044 0532 0130 00.", expected: "iban: [IBAN]."),
        .init(input: "GB82 WEST 1234 5698 7654 32", expected: "[IBAN]"),
        .init(input: "NL91ABNA0417164300", expected: "[IBAN]"),
        .init(input: "FR1420041010050500013M02606", expected: "[IBAN]"),
        // IP
        .init(input: "host 10.0.0.1:8080", expected: "host [IP_ADDRESS]:8080"),
        .init(input: "from 192.168.1.254.", expected: "from [IP_ADDRESS]."),
        .init(input: "10.0.0.1-10.0.0.9", expected: "[IP_ADDRESS]-[IP_ADDRESS]"),
        .init(input: "2001:0db8:85a3:0000:0000:8a2e:0370:7334", expected: "[IP_ADDRESS]"),
        .init(input: "[2001:db8::1]:443", expected: "[[IP_ADDRESS]]:443"),
        .init(input: "fe80::1 link", expected: "[IP_ADDRESS] link"),
        .init(input: "::ffff:192.0.2.1", expected: "[IP_ADDRESS]"),
        // National ids
        .init(input: "NI AB123456C", expected: "NI [UK_NINO]"),
        .init(input: "NI AB 12 34 56 C", expected: "NI [UK_NINO]"),
        .init(input: "DNI 12345678Z", expected: "DNI [ES_DNI]"),
        .init(input: "NIE X1234567L", expected: "NIE [ES_DNI]"),
        .init(input: "DNI 12345678-Z", expected: "DNI [ES_DNI]"),
        .init(input: "BSN: 111222333", expected: "BSN: [NL_BSN]"),
        .init(input: "bsn 123456782", expected: "bsn [NL_BSN]"),
        // Secrets
        .init(input: "aws_access_key_id=AKIAIOSFODNN7EXAMPLE", expected: "aws_access_key_id=[AWS_ACCESS_KEY]"),
        .init(input: "ASIAY34FZKBOKMUTVV7A", expected: "[AWS_ACCESS_KEY]"),
        .init(
            input: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            expected: "aws_secret_access_key = [AWS_SECRET_KEY]"
        ),
        .init(
            input: "\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
            expected: "\"SecretAccessKey\": \"[AWS_SECRET_KEY]\""
        ),
        .init(input: "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", expected: "[GITHUB_TOKEN]"),
        .init(input: "GH_TOKEN=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\n", expected: "GH_TOKEN=[GITHUB_TOKEN]\n"),
        .init(
            input: "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHI",
            expected: "[GITHUB_TOKEN]"
        ),
        .init(
            input: "sk-abcdefghij0123456789T3BlbkFJabcdefghij0123456789",
            expected: "[OPENAI_KEY]"
        ),
        .init(
            input: "Authorization: Bearer sk-proj-" + String(repeating: "aB3_", count: 15) + "T3BlbkFJ"
                + String(repeating: "x-Y9", count: 15),
            expected: "Authorization: Bearer [OPENAI_KEY]"
        ),
        .init(
            input: "key sk-ant-api03-" + String(repeating: "Ab9_-", count: 18) + "xyz" + "AA end",
            expected: "key [ANTHROPIC_KEY] end"
        ),
        .init(
            input: "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            expected: "[SLACK_TOKEN]"
        ),
        .init(
            input: "xoxp-1234567890-1234567890-1234567890-0123456789abcdef0123456789abcdef",
            expected: "[SLACK_TOKEN]"
        ),
        // Slack webhooks: the scheme belongs to the match, the host is case-insensitive.
        .init(
            input: "hook https://hooks.slack.com/services/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 end",
            expected: "hook [SLACK_WEBHOOK] end"
        ),
        .init(
            input: "SLACK_WEBHOOK_URL=\"https://hooks.slack.com/services/T0123ABCDEF/B0456EFGHIJ/Xk9mQ2vLp8Rt4wZ7yB3cD5eF\"",
            expected: "SLACK_WEBHOOK_URL=\"[SLACK_WEBHOOK]\""
        ),
        .init(
            input: "<http://hooks.slack.com/services/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|hook>",
            expected: "<[SLACK_WEBHOOK]|hook>"
        ),
        .init(
            input: "see hooks.slack.com/services/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.",
            expected: "see [SLACK_WEBHOOK]."
        ),
        .init(  // Slack's documentation example has the format: masked, placeholders are no exception here.
            input: "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            expected: "[SLACK_WEBHOOK]"
        ),
        .init(
            input: "HTTPS://Hooks.Slack.com/services/T0123ABCD/B0456EFGH/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",
            expected: "[SLACK_WEBHOOK]"
        ),
        .init(
            input: "https://hooks.slack.com/workflows/T0123ABCD/A0456EFGHIJ/412345678901234567/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",
            expected: "[SLACK_WEBHOOK]"
        ),
        .init(
            input: "https://hooks.slack.com/triggers/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?x=1",
            expected: "[SLACK_WEBHOOK]?x=1"
        ),
        .init(
            input: "webhook_secret: https://hooks.slack.com/services/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?a=b",
            expected: "webhook_secret: [SLACK_WEBHOOK]?a=b"
        ),
        .init(input: "AIzaSyA-1234567890abcdefghijklmnopqrstu", expected: "[GOOGLE_API_KEY]"),
        // GitLab: legacy and routable.
        .init(input: "GITLAB_TOKEN=glpat-Xk9mQ2vLp8Rt4wZ7yB3c\n", expected: "GITLAB_TOKEN=[GITLAB_TOKEN]\n"),
        .init(input: "glpat-Xk9m_Q2vLp8-t4wZ7yB3.", expected: "[GITLAB_TOKEN]."),
        .init(
            input: "glpat-Ab3dEf9hIj2kLm4nOp6qRs8tUv0wXy_z-1.01.0r1a2b3c4 end",
            expected: "[GITLAB_TOKEN] end"
        ),
        .init(input: "sk_live_4eC39HqLyjWDarjtT1zdp7dc", expected: "[STRIPE_KEY]"),
        .init(input: "rk_live_51H8abcdefghijklmnopqrstuvwx", expected: "[STRIPE_KEY]"),
        .init(
            input: "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U.",
            expected: "jwt [JWT]."
        ),
        .init(
            input: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\nrest",
            expected: "[PRIVATE_KEY]\nrest"
        ),
        .init(
            input: "a -----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXktdjEAAAA-----END OPENSSH PRIVATE KEY----- z",
            expected: "a [PRIVATE_KEY] z"
        ),
        .init(input: "password=Xk9#mQ2vLp8!Rt4wZ7yB", expected: "password=[GENERIC_SECRET]"),
        .init(input: "\"api_key\": \"8f2a9c4e1b7d3f6a0e5c\"", expected: "\"api_key\": \"[GENERIC_SECRET]\""),
        .init(input: "DB_PASSWORD: 'q8Lz3Nw1Xv7Kd2Mf'", expected: "DB_PASSWORD: '[GENERIC_SECRET]'"),
        .init(input: "client-secret => Zm9vYmFyYmF6cXV4MTIz", expected: "client-secret => [GENERIC_SECRET]"),
    ]

    @Test("masks", arguments: cases)
    func masks(_ example: Case) {
        #expect(TestSupport.redact(example.input) == example.expected)
    }

    @Test("GitHub tokens generated with the checksum scheme are found")
    func generatedGitHubTokens() {
        var generator = SplitMix64(seed: 0x6769_7468_7562)
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"] {
            for _ in 0..<200 {
                let token = Canary.checksummedToken(prefix: prefix, using: &generator)
                let entity = prefix == "npm_" ? "[NPM_TOKEN]" : "[GITHUB_TOKEN]"
                #expect(TestSupport.redact("t \(token) .") == "t \(entity) .")
            }
        }
    }

    @Test("Slack webhooks with generated ids of every length are found")
    func generatedSlackWebhooks() {
        var generator = SplitMix64(seed: 0x686F_6F6B)
        let ids = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let digits = Array("0123456789".utf8)
        let hex = Array("0123456789abcdef".utf8)
        func id(_ letter: String) -> String {
            letter + Canary.randomString(Int.random(in: 8...12, using: &generator), from: ids, using: &generator)
        }
        func number(_ lengths: ClosedRange<Int>) -> String {
            Canary.randomString(Int.random(in: lengths, using: &generator), from: digits, using: &generator)
        }
        for _ in 0..<200 {
            let urls = [
                "https://hooks.slack.com/services/\(id("T"))/\(id("B"))/"
                    + Canary.randomString(24, from: Canary.base62, using: &generator),
                "https://hooks.slack.com/workflows/\(id("T"))/\(id("A"))/\(number(15...20))/"
                    + Canary.randomString(24, from: Canary.base62, using: &generator),
                "https://hooks.slack.com/triggers/\(id("T"))/\(number(10...20))/"
                    + Canary.randomString(32, from: hex, using: &generator),
            ]
            for url in urls {
                #expect(TestSupport.redact("post to \(url) now") == "post to [SLACK_WEBHOOK] now", "\(url)")
            }
        }
    }

    @Test("random Luhn-valid cards of every issuer are found")
    func generatedCards() {
        var generator = SplitMix64(seed: 42)
        let issuers: [(String, Int)] = [
            ("4", 16), ("4", 13), ("4", 19), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15),
            ("37", 15), ("6011", 16), ("65", 19), ("644", 16), ("3528", 16), ("3589", 19), ("300", 14),
            ("36", 14), ("62", 17),
        ]
        for (prefix, length) in issuers {
            for _ in 0..<20 {
                let number = Canary.cardNumber(prefix: prefix, length: length, using: &generator)
                #expect(TestSupport.redact("n \(number) ok") == "n [CREDIT_CARD] ok", "\(number)")
            }
        }
    }
}
