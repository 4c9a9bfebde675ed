import Foundation
public import Identity

extension ChaperoneConfiguration.IdentityOptions {
    /// The configured issuers as the verifier and the refresher take them (an entry whose
    /// `issuer` is not a URL is skipped; the loader already refuses non-https ones).
    public var trustedIssuers: [TrustedIssuer] {
        self.issuers.compactMap { issuer in
            URL(string: issuer.issuer).map {
                TrustedIssuer(issuer: $0, audience: issuer.audience, groupsClaim: issuer.groupsClaim, clientID: issuer.clientID)
            }
        }
    }

    /// What the daemon tells `chaperone login` about its issuers (`login.issuers`).
    public var loginIssuers: LoginIssuers {
        LoginIssuers(
            issuers: self.issuers.map { issuer in
                LoginIssuers.Issuer(
                    issuer: issuer.issuer, audience: issuer.audience, clientID: issuer.clientID ?? issuer.audience,
                    scope: issuer.scope, deviceFlow: issuer.deviceFlow)
            },
            caBundle: self.issuerCABundle)
    }
}
