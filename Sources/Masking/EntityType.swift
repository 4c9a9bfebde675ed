/// The kind of value a rule protects, such as `EMAIL` or `AWS_ACCESS_KEY`.
///
/// Entity names appear inside placeholders (`[EMAIL_3]`), in findings and in audit
/// records, so they are restricted to `[A-Z][A-Z0-9_]*`: a placeholder then never needs
/// escaping in JSON, SSE or a log line. Organisations add their own names (`PROJECT`)
/// through rules; the built-in names are the static members.
package struct EntityType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String

    /// Creates an entity type without validation; use ``validated(_:)`` for rule input.
    ///
    /// - Parameters:
    ///   - rawValue: The entity name.
    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Creates an entity type from rule input, checking the placeholder-safe alphabet.
    ///
    /// - Parameters:
    ///   - name: The entity name from a rule file.
    /// - Throws: ``MaskingError`` with code `invalidEntity` when the name is empty, longer
    ///   than 40 characters or not `[A-Z][A-Z0-9_]*`.
    package static func validated(_ name: String) throws(MaskingError) -> EntityType {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, (0x41...0x5A).contains(first), bytes.count <= 40,
            bytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F })
        else {
            throw MaskingError(
                .invalidEntity,
                "entity '\(name)' is not [A-Z][A-Z0-9_]* (at most 40 characters); rename it, e.g. PROJECT_NAME"
            )
        }
        return EntityType(rawValue: name)
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        do {
            self = try EntityType.validated(name)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    package var description: String { rawValue }

    package static let email = EntityType(rawValue: "EMAIL")
    package static let phone = EntityType(rawValue: "PHONE")
    package static let creditCard = EntityType(rawValue: "CREDIT_CARD")
    package static let usSSN = EntityType(rawValue: "US_SSN")
    package static let iban = EntityType(rawValue: "IBAN")
    package static let ipAddress = EntityType(rawValue: "IP_ADDRESS")
    package static let ukNINO = EntityType(rawValue: "UK_NINO")
    package static let esDNI = EntityType(rawValue: "ES_DNI")
    package static let nlBSN = EntityType(rawValue: "NL_BSN")
    package static let awsAccessKey = EntityType(rawValue: "AWS_ACCESS_KEY")
    package static let awsSecretKey = EntityType(rawValue: "AWS_SECRET_KEY")
    package static let githubToken = EntityType(rawValue: "GITHUB_TOKEN")
    package static let gitlabToken = EntityType(rawValue: "GITLAB_TOKEN")
    package static let npmToken = EntityType(rawValue: "NPM_TOKEN")
    package static let openAIKey = EntityType(rawValue: "OPENAI_KEY")
    package static let anthropicKey = EntityType(rawValue: "ANTHROPIC_KEY")
    package static let slackToken = EntityType(rawValue: "SLACK_TOKEN")
    package static let slackWebhook = EntityType(rawValue: "SLACK_WEBHOOK")
    package static let googleAPIKey = EntityType(rawValue: "GOOGLE_API_KEY")
    package static let stripeKey = EntityType(rawValue: "STRIPE_KEY")
    package static let jwt = EntityType(rawValue: "JWT")
    package static let privateKey = EntityType(rawValue: "PRIVATE_KEY")
    package static let genericSecret = EntityType(rawValue: "GENERIC_SECRET")
}
