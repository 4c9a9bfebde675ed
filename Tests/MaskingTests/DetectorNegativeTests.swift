import Testing

@testable import Masking

/// Look-alikes every detector must leave alone.
@Suite("Detectors: hard negatives")
struct DetectorNegativeTests {
    static let untouched: [String] = [
        // Order numbers, ids, hashes, versions, timestamps.
        "order 123456789 shipped",
        "order #20240115-0042 shipped",
        "invoice 4111111111111112",  // Luhn fails
        "id 1234567812345678",  // no known issuer
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "version 1.2.3.4 released",
        "v1.2.3.4",
        "release: 10.0.19041.1",
        "1.2.3.4.5",
        "1.2.3.4-rc1",
        "ip 256.1.1.1 and 01.02.03.04",
        "at 2024-01-15T12:30:45Z",
        "at 2024-01-15 12:30:45.123",
        "on 01.02.2024 and 15/01/2024",
        "time 12:30:45 and mac 00:1a:2b:3c:4d:5e",
        "c++ std::vector and ab::cd and dead::beef",
        "price 1,234,567.89 USD",
        "pi 3.14159265358979",
        // SSN look-alikes.
        "ssn 123-45-6789",  // published sample
        "ssn 078-05-1120",
        "ssn 219-09-9999",
        "ssn 000-12-3456 666-12-3456 912-12-3456 536-00-1234 536-12-0000",
        "ssn 536-22_8451 536-22-8451-7",
        "nine digits 536228451",
        "zip 12345-6789",
        // Phone look-alikes.
        "call 4155550100",  // bare digits
        "ext 555-0100",
        "serial 123-456-7890",  // area code cannot start with 1
        "date 2024-555-0100",
        "+123",
        "+12345",
        "+1 2 3 4 5 6 7 8 9",  // one single-digit group after the country code, not many
        "range 0301-12-2024",
        // IBAN look-alikes.
        "DE89370400440532013001",  // mod 97 fails
        "DE8937040044053201300",  // too short
        "XX89370400440532013000",  // unknown country
        "DE89 37040044 0532013000",  // broken grouping
        // National ids.
        "DNI 12345678A",  // wrong letter
        "NI QQ123456C and AB123456E and GB123456A",
        "BSN: 111222334",  // 11-test fails
        "phone 111222333",  // BSN without context
        // Secrets: look-alikes.
        "ghp_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3",  // bad checksum
        "ghp_abcdefghijklmnopqrstuvwxyzABCD012345",  // documentation example, bad checksum
        "ghp_short",
        "npm_M7H4jxUDDWHP4kZ6A4dxlQYsQIWJuq11T4V3",
        "AKIA1234567890123456",  // digits 0,1,8,9 are not base32
        "AKIAIOSFODNN7EXAMPLEX",  // too long
        "xAKIAIOSFODNN7EXAMPLE",
        "sk-abcdefghij0123456789abcdefghij0123456789abcdefgh",  // no marker
        "sk-ant-api03-tooShortAA",
        "AIzaSyA-1234567890abcdefghijklmnopqrst",  // 34
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc sk_live_short",
        "xoxb-123-456-abc",
        // Slack webhook look-alikes.
        "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/Xk9mQ2vLp8Rt4wZ7yB3cD5e",  // 23
        "https://hooks.slack.com/services/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g",  // 25
        "https://hooks.slack.com/services/T0123/B0456EFGH/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",  // short id
        "https://hooks.slack.com/services/T0123ABCDEFGHI/B0456EFGH/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",  // long id
        "https://hooks.slack.com/services/t0123abcd/b0456efgh/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",  // lower-case ids
        "https://hooks.slack.com/services/B0456EFGH/T0123ABCD/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",  // ids swapped
        "https://hooks.slack.com.evil.example/services/T0123ABCD/B0456EFGH/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",
        "https://webhooks.slack.com/services/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",
        "https://hooks.slack.com/apps/T0123ABCD/B0456EFGH/Xk9mQ2vLp8Rt4wZ7yB3cD5eF",
        "https://hooks.slack.com/triggers/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",  // hex case
        "https://hooks.slack.com/workflows/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",  // short id
        "https://hooks.slack.com/services/ and https://hooks.slack.com/",
        // GitLab look-alikes.
        "glpat-Xk9mQ2vLp8Rt4wZ7yB3",  // 19
        "glpat-Xk9mQ2vLp8Rt4wZ7yB3cD",  // 22
        "xglpat-Xk9mQ2vLp8Rt4wZ7yB3c",
        "glpat-Ab3dEf9hIj2kLm4nOp6qRs8tUv0wXy_z-1.01.0R1A2B3C4",  // upper-case suffix
        "glpat-Ab3dEf9hIj2kLm4nOp6qRs8tUv0wXy_z-1.01.0r1a2b3c",  // 8 after the version
        "eyJhbGciOiJIUzI1NiJ9",  // a header alone
        "eyJub3RhbGciOjF9.eyJzdWIiOiIxIn0.c2ln",  // header without alg
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  // AWS secret without key word
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----",
        // Generic secrets: low entropy, short, templated, wrong key.
        "password=aaaaaaaaaaaaaaaaaaaa",
        "password=hunter2",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "api_key: <your-api-key-here>",
        "max_tokens: 4096",
        "password_hint=abcdefgh12345678XYZ",
        "the secret is in the sauce, really it is",
        // E-mail look-alikes.
        "user@localhost and a@b and @handle and foo@bar.c0m",
        "a..b@",
        // Prose.
        "The quick brown fox jumps over the lazy dog; naïve café résumé.",
    ]

    @Test("leaves alone", arguments: untouched)
    func leavesAlone(_ input: String) {
        #expect(TestSupport.redact(input) == input)
    }

    @Test("random ghp_ and npm_ look-alikes with a wrong checksum are rejected")
    func randomLookAlikes() {
        var generator = SplitMix64(seed: 7)
        for prefix in ["ghp_", "gho_", "npm_"] {
            for _ in 0..<300 {
                let token = Canary.badChecksumToken(prefix: prefix, using: &generator)
                #expect(TestSupport.redact(token) == token)
            }
        }
        // Uniformly random bodies: one in 62^6 would pass.
        for _ in 0..<500 {
            let token = "ghp_" + Canary.randomString(36, from: Canary.base62, using: &generator)
            #expect(TestSupport.redact(token) == token)
        }
    }

    @Test("random 16-digit numbers that fail Luhn are not cards")
    func luhnFailures() {
        var generator = SplitMix64(seed: 99)
        for _ in 0..<500 {
            var number = Canary.cardNumber(prefix: "4", length: 16, using: &generator)
            let last = number.removeLast().wholeNumberValue!
            number += String((last + 1 + Int.random(in: 0..<9, using: &generator)) % 10)
            #expect(TestSupport.redact(number) == number)
        }
    }

    @Test("random hex hashes and UUIDs pass unchanged")
    func randomHashes() {
        var generator = SplitMix64(seed: 2024)
        let hex = Array("0123456789abcdef".utf8)
        for _ in 0..<300 {
            let sha1 = Canary.randomString(40, from: hex, using: &generator)
            let uuid = [8, 4, 4, 4, 12].map { Canary.randomString($0, from: hex, using: &generator) }
                .joined(separator: "-")
            let text = "commit \(sha1) id \(uuid)"
            #expect(TestSupport.redact(text) == text)
        }
    }
}
