extension MaskingRuleSet {
    /// The built-in defaults, identical to the default section of `Rules/masking.yaml`.
    ///
    /// Secrets are redacted (nothing about a credential is worth keeping), personal data
    /// that a model may need to reason about (e-mail, phone, IP) is pseudonymised so that
    /// "the same person" stays recognisable, identifiers with no conversational value
    /// (card, SSN, IBAN, national ids) are redacted.
    package static let defaults = MaskingRuleSet(rules: [
        .builtin(.privateKey, action: .redact),
        .builtin(.awsAccessKey, action: .redact),
        .builtin(.awsSecretKey, action: .redact),
        .builtin(.githubToken, action: .redact),
        .builtin(.gitlabToken, action: .redact),
        .builtin(.npmToken, action: .redact),
        .builtin(.openAIKey, action: .redact),
        .builtin(.anthropicKey, action: .redact),
        .builtin(.slackToken, action: .redact),
        .builtin(.slackWebhook, action: .redact),
        .builtin(.googleAPIKey, action: .redact),
        .builtin(.stripeKey, action: .redact),
        .builtin(.jwt, action: .redact),
        .builtin(.genericSecret, action: .redact),
        .builtin(.creditCard, action: .redact),
        .builtin(.usSSN, action: .redact),
        .builtin(.iban, action: .redact),
        .builtin(.ukNINO, action: .redact),
        .builtin(.esDNI, action: .redact),
        .builtin(.nlBSN, action: .redact),
        .builtin(.email, action: .pseudonymise),
        .builtin(.phone, action: .pseudonymise),
        .builtin(.ipAddress, action: .pseudonymise),
    ])
}
