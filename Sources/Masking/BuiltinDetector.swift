/// The hand-written detectors a rule can name with `builtin:`.
///
/// Each case knows its default entity type and a default priority, used only to break
/// ties between equally long matches at the same position (a GitHub token that is also a
/// high-entropy `token=` value is reported as `GITHUB_TOKEN`).
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
    case npmToken = "npm_token"
    case openAIKey = "openai_key"
    case anthropicKey = "anthropic_key"
    case slackToken = "slack_token"
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
        case .npmToken: .npmToken
        case .openAIKey: .openAIKey
        case .anthropicKey: .anthropicKey
        case .slackToken: .slackToken
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
        case .awsAccessKey, .githubToken, .npmToken, .openAIKey, .anthropicKey, .slackToken, .googleAPIKey,
            .stripeKey:
            300
        case .jwt, .awsSecretKey: 250
        case .creditCard, .usSSN, .iban, .ukNINO, .esDNI, .nlBSN: 200
        case .email, .ipAddress, .phone: 150
        case .genericSecret: 100
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
        case .npmToken: SecretDetectors.npmToken()
        case .openAIKey: OpenAIKeyDetector()
        case .anthropicKey: SecretDetectors.anthropicKey()
        case .slackToken: SlackTokenDetector()
        case .googleAPIKey: SecretDetectors.googleAPIKey()
        case .stripeKey: SecretDetectors.stripeKey()
        case .jwt: JWTDetector()
        case .privateKey: PrivateKeyDetector()
        case .genericSecret: GenericSecretDetector()
        }
    }
}
