import Testing

@testable import Masking

/// The generic secret detector leaves placeholders alone (see ``SecretPlaceholder``) and
/// still masks values that look real, including ones close to a placeholder shape.
@Suite("Generic secrets: placeholders")
struct GenericSecretPlaceholderTests {
    /// Each would pass the length and entropy checks (unless noted) and must stay as it is.
    static let placeholders: [String] = [
        // YOUR_..._HERE and other `your` words; `here` closing three words.
        "api_key=YOUR_API_KEY_HERE",
        "\"api_key\": \"your-api-key-goes-here\"",
        "token: insert_your_token_here",
        "Authorization: Bearer YOUR_ACCESS_TOKEN",
        "client_secret=yourSecretApiKey",
        "api_key=API_KEY_GOES_HERE",
        // CHANGEME, REPLACE_ME, EXAMPLE, PLACEHOLDER, DUMMY, in any case and separation.
        "token: changeme",  // short as well
        "token: changeme-changeme-2024",
        "password=ChangeMe!2024#Now",
        "api_key=REPLACE_ME_WITH_A_REAL_KEY",
        "token=replace-me-before-deploy",
        "api_key=EXAMPLE_SECRET_KEY_123",
        "secret: example-token-abc123",
        "token=PLACEHOLDER_TOKEN_VALUE",
        "api_key=DUMMY_API_KEY_FOR_TESTS",
        "password=dummy-secret-value-42",
        // Runs of one character; masked asterisks.
        "secret=xxxxxxxxxxxxxxxx",  // low entropy as well
        "client_secret=Q8Lz3Nw1xxxxxxXv7Kd2Mf",
        "api_key=Q8Lz3Nw1000000Xv7Kd2Mf",
        "password=********",
        "password: ****************",
        "api_key: Xk9mQ2vL****Rt4wZ7yB",
        "\"api_key\": \"sk-proj-Ab3dEf***Xy9ZqW7\"",
        // Templates and environment references.
        "password: <your-password>",
        "password: \"<your-password-here>\"",
        "api_key: ${API_KEY}",
        "secret: {{ secret }}",
        "client_secret: \"{{ .Values.clientSecret }}\"",
        "password=$DB_PASSWORD_PRODUCTION",
        "api_key=$OPENAI_API_KEY_PROD",
        "password=%DB_PASSWORD_PROD%",
        "password=$database_password_prod",
        "token: REPLACE_ME",  // short as well
    ]

    /// Real-looking values, some near a placeholder shape, that must still be masked.
    static let secrets: [DetectorPositiveTests.Case] = [
        .init(input: "token: q8Lz3Nw1Xv7Kd2MfYp4R", expected: "token: [GENERIC_SECRET]"),
        .init(input: "secret=aZ3$kP9*Lm2@Qx7!", expected: "secret=[GENERIC_SECRET]"),  // one asterisk
        .init(input: "password=Xk9#mQ2vLp8!Rt4wZ7yB**", expected: "password=[GENERIC_SECRET]"),  // two
        .init(input: "api_key=q8Lz3Nw1xxxxxXv7Kd2Mf", expected: "api_key=[GENERIC_SECRET]"),  // a run of five
        .init(input: "password=$ecr3tXk9mQ2vLp8Rt4w", expected: "password=[GENERIC_SECRET]"),  // `$`, mixed case
        .init(input: "secret: Hx7-Here-9kQ2-mZ4v", expected: "secret: [GENERIC_SECRET]"),  // `here` not last
        .init(input: "api_key=Xample9Lz3Nw1Xv7Kd", expected: "api_key=[GENERIC_SECRET]"),
        .init(input: "token=Yo9uRx7Kd2MfQ8Lz3Nw1", expected: "token=[GENERIC_SECRET]"),  // no `your` word
        .init(input: "password=%Xk9mQ2vLp8Rt4wZ7yB", expected: "password=[GENERIC_SECRET]"),  // no closing `%`
    ]

    @Test("placeholders are left alone", arguments: placeholders)
    func leavesAlone(_ input: String) {
        #expect(TestSupport.redact(input) == input)
    }

    @Test("real-looking values still match", arguments: secrets)
    func masks(_ example: DetectorPositiveTests.Case) {
        #expect(TestSupport.redact(example.input) == example.expected)
    }

    @Test("the shapes, one by one")
    func shapes() {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        #expect(SecretPlaceholder.hasFillerRun(bytes("ab000000cd")))
        #expect(!SecretPlaceholder.hasFillerRun(bytes("ab00000cd")))
        #expect(SecretPlaceholder.hasFillerRun(bytes("ab***cd")))
        #expect(!SecretPlaceholder.hasFillerRun(bytes("ab**cd*")))
        #expect(SecretPlaceholder.isEnvironmentReference(bytes("$API_KEY")))
        #expect(SecretPlaceholder.isEnvironmentReference(bytes("$api_key")))
        #expect(SecretPlaceholder.isEnvironmentReference(bytes("%API_KEY%")))
        #expect(!SecretPlaceholder.isEnvironmentReference(bytes("$ApiKey")))
        #expect(!SecretPlaceholder.isEnvironmentReference(bytes("$1KEY")))
        #expect(!SecretPlaceholder.isEnvironmentReference(bytes("$API-KEY")))
        #expect(!SecretPlaceholder.isEnvironmentReference(bytes("%%")))
        #expect(SecretPlaceholder.words(of: bytes("yourApiKEY_here2x")).map { String(decoding: $0, as: UTF8.self) }
            == ["your", "api", "key", "here", "x"])
        #expect(SecretPlaceholder.letterRuns(of: bytes("Change_Me-2.x")).map { String(decoding: $0, as: UTF8.self) }
            == ["changeme", "x"])
        #expect(SecretPlaceholder.hasPlaceholderWords(bytes("Replace.Me")))
        #expect(!SecretPlaceholder.hasPlaceholderWords(bytes("Replace2Me")))
        #expect(!SecretPlaceholder.hasPlaceholderWords(bytes("KEY_HERE")))  // two words only
        #expect(!SecretPlaceholder.hasPlaceholderWords(bytes("yours9Xk2")))  // `your` is a word of its own
        #expect(SecretPlaceholder.hasPlaceholderWords(bytes("9yourXk2")))
    }

    @Test("generated secrets after a key word are not taken for placeholders")
    func generatedSecrets() {
        var generator = SplitMix64(seed: 0x706C_6163)
        // Value characters without `*`: three in a row are taken for a masked display.
        let alphabet = Canary.base62 + Array("!#$%+-./:=?@^_|~".utf8)
        for _ in 0..<2000 {
            let value = Canary.randomString(Int.random(in: 16...64, using: &generator), from: alphabet, using: &generator)
            let bytes = Array(value.utf8)
            guard ShannonEntropy.bitsPerByte(bytes) >= GenericSecretDetector.minimumEntropy else { continue }
            #expect(!SecretPlaceholder.matches(bytes), "\(value)")
        }
    }
}
