import ArgumentParser
import Foundation
import Identity

/// `chaperone login`: log in with the organisation's IdP by the device flow (RFC 8628) and hand
/// the ID token, with its refresh token, to the daemon for the calling uid.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in with your organisation's identity provider; your connections are then attributed to you.",
        discussion: """
            Asks the daemon which issuers it trusts, starts a device login with the one it offers \
            (or --issuer), and shows a web address and a code: open it in a browser on any device, \
            sign in and enter the code. Once approved, the ID token goes to the daemon over the \
            control socket, which verifies it and attributes this uid's connections to you; the \
            refresh token lets the daemon renew it before it expires (kept in memory only, never \
            written or shown). `chaperone whoami` shows the result, `chaperone logout` ends it.

            Nothing is written to disk. Ctrl-C while waiting cancels; nothing is handed in then.
            """)

    @Option(help: ArgumentHelp("The issuer to log in with (default: the only one the daemon offers).", valueName: "url"))
    var issuer: String?

    @Option(name: .customLong("client-id"), help: ArgumentHelp("The OAuth client id (default: the issuer's configured client_id, else its audience).", valueName: "id"))
    var clientID: String?

    @Option(help: ArgumentHelp("Space-separated scopes (default: the issuer's configured scope, else \"\(DeviceFlowClient.defaultScope)\").", valueName: "scopes"))
    var scope: String?

    @Flag(help: "Do not hand the refresh token to the daemon: the login then lasts as long as one ID token.")
    var noRefresh = false

    @OptionGroup var control: ControlSocketOption

    func validate() throws {
        if let scope, !scope.split(separator: " ").contains("openid") {
            throw ValidationError("--scope must include openid, or the issuer returns no ID token")
        }
    }

    func run() async throws {
        let offer: LoginIssuers.Issuer
        let caBundle: String?
        do {
            let issuers = try LoginIssuers(from: try control.send(ControlRequest(op: .loginIssuers), printResponse: false))
            offer = try issuers.choose(issuer)
            caBundle = issuers.caBundle
        } catch let error as LoginError {
            throw fail(error)
        }
        guard let url = URL(string: offer.issuer) else {
            throw ValidationError("the daemon's issuer '\(offer.issuer)' is not a URL; fix `identity.issuers`")
        }
        let fetcher: HTTPSFetcher
        do {
            fetcher = try HTTPSFetcher(trust: caBundle.map { .caBundle(path: $0) } ?? .system)
        } catch {
            throw ValidationError("\(error.message) (identity.issuer_ca_bundle must be readable by you)")
        }
        let client = DeviceFlowClient(
            issuer: TrustedIssuer(issuer: url, audience: offer.audience),
            clientID: clientID ?? offer.clientID,
            scope: scope ?? offer.scope ?? DeviceFlowClient.defaultScope,
            fetcher: fetcher)
        let tokens: OAuthTokens
        do {
            tokens = try await client.login { authorization in
                Self.prompt(authorization, issuer: offer.issuer, clientID: client.clientID)
            }
        } catch {
            throw fail(error)
        }
        guard let idToken = tokens.idToken else { throw fail(LoginError(code: .protocolError, message: "no ID token")) }
        let refreshToken = noRefresh ? nil : tokens.refreshToken
        let response = try control.send(.tokenSet(idToken, refreshToken: refreshToken))
        guard !control.json, let principal = response.principal else { return }
        let who = principal.email.map { "\($0) (\(principal.subject))" } ?? principal.subject
        print("logged in as \(who) at \(principal.issuer)")
        guard let expiry = response.expiresAt else { return }
        if response.refreshTokenHeld == true {
            print("your connections are attributed to you; the daemon renews the login before it expires at \(expiryText(expiry))")
        } else {
            let why = noRefresh ? "--no-refresh" : "the issuer sent no refresh token (ask for offline_access in --scope)"
            print("your connections are attributed to you until \(expiryText(expiry)); \(why), so run `chaperone login` again then")
        }
    }

    /// Where to go and what to type, on standard error (standard output is for the result).
    private static func prompt(_ authorization: DeviceAuthorization, issuer: String, clientID: String) {
        var text = """

            To log in to \(issuer), open this page in a browser (on any device):

                \(authorization.verificationURI)

            and enter the code:

                \(authorization.userCode)

            """
        if let complete = authorization.verificationURIComplete {
            text += "\nOr open this link, which has the code filled in:\n\n    \(complete)\n"
        }
        text += "\nWaiting for approval; the code expires at \(expiryText(authorization.expiresAt)). Ctrl-C cancels.\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints `error`'s message and returns the exit code to throw.
    private func fail(_ error: LoginError) -> ExitCode {
        FileHandle.standardError.write(Data("chaperone: \(error.message)\n".utf8))
        return error.code == .cancelled ? ExitCode(130) : ExitCode(1)
    }
}
