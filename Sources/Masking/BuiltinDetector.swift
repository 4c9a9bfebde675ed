/// The hand-written detectors a rule can name with `builtin:`.
///
/// Each case knows its default entity type, a default priority, used only to break ties
/// between equally long matches at the same position (a GitHub token that is also a
/// high-entropy `token=` value is reported as `GITHUB_TOKEN`), and its overlap role: a
/// credential format beats a longer e-mail or generic-secret match at the same position
/// (`https://ghp_…@github.com` is a GitHub token, not an e-mail address).
package enum BuiltinDetector: String, Hashable, Sendable, Codable, CaseIterable {
    case email
    case phone
    case creditCard = "credit_card"
    case usSSN = "us_ssn"
    case iban
    case ipAddress = "ip_address"
    case ukNINO = "uk_nino"
    case esDNI = "es_dni"
    case nlBSN = "nl_bsn"
    case awsAccessKey = "aws_access_key"
    case awsSecretKey = "aws_secret_key"
    case githubToken = "github_token"
    case gitlabToken = "gitlab_token"
    case npmToken = "npm_token"
    case openAIKey = "openai_key"
    case anthropicKey = "anthropic_key"
    case slackToken = "slack_token"
    case slackWebhook = "slack_webhook"
    case googleAPIKey = "google_api_key"
    case stripeKey = "stripe_key"
    case jwt
    case privateKey = "private_key"
    case genericSecret = "generic_secret"

    /// The entity type a rule using this detector reports unless it names another.
    package var entity: EntityType {
        switch self {
        case .email: .email
        case .phone: .phone
        case .creditCard: .creditCard
        case .usSSN: .usSSN
        case .iban: .iban
        case .ipAddress: .ipAddress
        case .ukNINO: .ukNINO
        case .esDNI: .esDNI
        case .nlBSN: .nlBSN
        case .awsAccessKey: .awsAccessKey
        case .awsSecretKey: .awsSecretKey
        case .githubToken: .githubToken
        case .gitlabToken: .gitlabToken
        case .npmToken: .npmToken
        case .openAIKey: .openAIKey
        case .anthropicKey: .anthropicKey
        case .slackToken: .slackToken
        case .slackWebhook: .slackWebhook
        case .googleAPIKey: .googleAPIKey
        case .stripeKey: .stripeKey
        case .jwt: .jwt
        case .privateKey: .privateKey
        case .genericSecret: .genericSecret
        }
    }

    /// Tie-break priority: specific secret formats above structured PII above context
    /// heuristics.
    package var defaultPriority: Int {
        switch self {
        case .privateKey: 400
        case .awsAccessKey, .githubToken, .gitlabToken, .npmToken, .openAIKey, .anthropicKey, .slackToken,
            .slackWebhook, .googleAPIKey, .stripeKey:
            300
        case .jwt, .awsSecretKey: 250
        case .creditCard, .usSSN, .iban, .ukNINO, .esDNI, .nlBSN: 200
        case .email, .ipAddress, .phone: 150
        case .genericSecret: 100
        }
    }

    /// How a match competes with another rule's longer match at the same position: the
    /// token formats are credentials, the e-mail and generic-secret detectors broad
    /// heuristics that yield to them (see ``OverlapRole``).
    var overlapRole: OverlapRole {
        switch self {
        case .awsAccessKey, .githubToken, .gitlabToken, .npmToken, .openAIKey, .anthropicKey, .slackToken,
            .slackWebhook, .googleAPIKey, .stripeKey, .jwt, .privateKey:
            .credential
        case .email, .genericSecret:
            .broad
        case .phone, .creditCard, .usSSN, .iban, .ipAddress, .ukNINO, .esDNI, .nlBSN, .awsSecretKey:
            .ordinary
        }
    }

    /// A new detector instance.
    func makeDetector() -> any ByteDetector {
        switch self {
        case .email: EmailDetector()
        case .phone: PhoneDetector()
        case .creditCard: PaymentCardDetector()
        case .usSSN: USSSNDetector()
        case .iban: IBANDetector()
        case .ipAddress: CompositeDetector([IPv4Detector(), IPv6Detector()])
        case .ukNINO: UKNINODetector()
        case .esDNI: SpanishDNIDetector()
        case .nlBSN: DutchBSNDetector()
        case .awsAccessKey: SecretDetectors.awsAccessKey()
        case .awsSecretKey: AWSSecretKeyDetector()
        case .githubToken: SecretDetectors.githubToken()
        case .gitlabToken: GitLabTokenDetector()
        case .npmToken: SecretDetectors.npmToken()
        case .openAIKey: OpenAIKeyDetector()
        case .anthropicKey: SecretDetectors.anthropicKey()
        case .slackToken: SlackTokenDetector()
        case .slackWebhook: SlackWebhookDetector()
        case .googleAPIKey: SecretDetectors.googleAPIKey()
        case .stripeKey: SecretDetectors.stripeKey()
        case .jwt: JWTDetector()
        case .privateKey: PrivateKeyDetector()
        case .genericSecret: GenericSecretDetector()
        }
    }
}
