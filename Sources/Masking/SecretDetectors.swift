/// Factories for the secret detectors that are a literal prefix plus a bounded body.
///
/// Formats, with their sources:
/// - AWS access key id: `AKIA` (long-term) or `ASIA` (STS) + 16 of `[A-Z2-7]` (AWS IAM
///   identifiers reference).
/// - Google API key: `AIza` + 35 of `[A-Za-z0-9_-]`.
/// - Stripe live secret / restricted key: `sk_live_` / `rk_live_` + 24–99 of `[A-Za-z0-9]`.
/// - Anthropic: `sk-ant-api03-` / `sk-ant-admin01-` + 93 of `[A-Za-z0-9_-]` + `AA`.
/// - GitHub: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 30 random base62 + 6 base62 digits of
///   the CRC-32 of the 30 random characters (not of the prefix), zero-padded; fine-grained
///   `github_pat_` + 22 base62 + `_` + 59 base62 (no public checksum).
/// - npm: `npm_` + 30 random + 6 checksum, the GitHub scheme.
enum SecretDetectors {
    static func awsAccessKey() -> PrefixedTokenDetector {
        PrefixedTokenDetector(prefixes: ["AKIA", "ASIA"], bodyLength: 16...16) { byte in
            ASCII.isUpper(byte) || (byte >= 0x32 && byte <= 0x37)
        }
    }

    static func googleAPIKey() -> PrefixedTokenDetector {
        PrefixedTokenDetector(prefixes: ["AIza"], bodyLength: 35...35, body: ASCII.isBase64URL)
    }

    static func stripeKey() -> PrefixedTokenDetector {
        PrefixedTokenDetector(prefixes: ["sk_live_", "rk_live_"], bodyLength: 24...99, body: ASCII.isAlnum)
    }

    static func anthropicKey() -> PrefixedTokenDetector {
        PrefixedTokenDetector(prefixes: ["sk-ant-api03-", "sk-ant-admin01-"], bodyLength: 95...95, body: ASCII.isBase64URL) {
            token in token.suffix(2) == [0x41, 0x41]
        }
    }

    static func githubToken() -> CompositeDetector {
        let classic = PrefixedTokenDetector(
            prefixes: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
            bodyLength: 36...36,
            body: ASCII.isAlnum,
            validate: hasChecksumSuffix
        )
        let fineGrained = PrefixedTokenDetector(prefixes: ["github_pat_"], bodyLength: 82...82, body: ASCII.isBase64URL) {
            token in
            // github_pat_ + 22 base62 + "_" + 59 base62.
            let body = token.dropFirst(11)
            let parts = body.split(separator: ASCII.underscore, omittingEmptySubsequences: false)
            return parts.count == 2 && parts[0].count == 22 && parts[1].count == 59
                && body.allSatisfy { ASCII.isAlnum($0) || $0 == ASCII.underscore }
        }
        return CompositeDetector([classic, fineGrained])
    }

    static func npmToken() -> PrefixedTokenDetector {
        PrefixedTokenDetector(prefixes: ["npm_"], bodyLength: 36...36, body: ASCII.isAlnum, validate: hasChecksumSuffix)
    }

    /// Whether a `prefix_` + 30 random + 6 checksum token carries the right checksum.
    ///
    /// - Parameters:
    ///   - token: The whole token, prefix included.
    static func hasChecksumSuffix(_ token: [UInt8]) -> Bool {
        guard token.count == 40 else { return false }
        let random = token[4..<34]
        return Array(token[34...]) == Base62.checksumSuffix(of: random)
    }
}
