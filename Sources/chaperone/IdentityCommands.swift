import ArgumentParser
import Foundation
import Identity
import Proxy

/// Options shared by the commands that talk to the daemon's control socket.
struct ControlSocketOption: ParsableArguments {
    @Option(help: ArgumentHelp("The daemon's control socket (default: the configured one).", valueName: "path"))
    var socket: String?

    @OptionGroup var config: ConfigOption

    @Flag(help: "Print the daemon's answer as JSON.")
    var json = false

    /// Sends `request`; with `--json`, prints the whole response unless `printResponse` is
    /// false (commands whose JSON is the operation's `result`). A refusal exits 1 with its message.
    func send(_ request: ControlRequest, printResponse: Bool = true) throws -> ControlResponse {
        let path = try socket ?? config.load().identity.controlSocket
        let response: ControlResponse
        do {
            response = try ControlClient.send(request, socketPath: path)
        } catch {
            throw ValidationError("\(error)")
        }
        if json, printResponse {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(response), as: UTF8.self))
        }
        if let failure = response.error {
            if !json || !printResponse { FileHandle.standardError.write(Data("chaperone: \(failure.message)\n".utf8)) }
            throw ExitCode(1)
        }
        return response
    }
}

/// `chaperone token`: hand an identity token to the daemon for the calling user.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Hand an OIDC token to the daemon for your uid.",
        subcommands: [Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a token and attribute your connections to its identity.",
            discussion: """
                The daemon verifies the token against the trusted issuers (signature, iss, aud, exp, \
                nbf) and keeps it for the uid the kernel reports for this process (SO_PEERCRED), \
                never for a uid the request names. Your exchanges are then recorded under its \
                subject, e-mail and groups until it expires.

                In CI, the job's own identity: --github-actions fetches the job's OIDC token (the \
                workflow needs `permissions: id-token: write`); --gitlab-ci reads the token the job \
                declares under `id_tokens:` (default variable CHAPERONE_ID_TOKEN).
                """)

        @Option(help: ArgumentHelp("Read the token from this file (default: standard input).", valueName: "file"))
        var file: String?

        @Flag(help: "Fetch this GitHub Actions job's OIDC token.")
        var githubActions = false

        @Option(help: "The audience to ask GitHub for (the issuer's configured audience).")
        var audience = "chaperone"

        @Flag(help: "Use this GitLab CI job's id_tokens token.")
        var gitlabCI = false

        @Option(help: ArgumentHelp("The id_tokens variable of --gitlab-ci.", valueName: "name"))
        var tokenVariable = "CHAPERONE_ID_TOKEN"

        @OptionGroup var control: ControlSocketOption

        func run() async throws {
            let token = try await readToken()
            guard !token.isEmpty else { throw ValidationError("no token given; pipe one in or pass --file") }
            let response = try control.send(ControlRequest(op: .tokenSet, token: token))
            if !control.json, let principal = response.principal {
                print("your connections are now attributed to \(principal.subject) (\(principal.source.rawValue))")
            }
        }

        private func readToken() async throws -> String {
            do {
                if githubActions {
                    return try await CIIdentityToken.gitHubActions(audience: audience, fetcher: HTTPSFetcher())
                }
                if gitlabCI {
                    return try CIIdentityToken.gitLabCI(variable: tokenVariable)
                }
            } catch {
                throw ValidationError(error.message)
            }
            let data = try file.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
                ?? FileHandle.standardInput.readDataToEndOfFile()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// `chaperone whoami`: who the daemon attributes your connections to.
struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Show who the daemon attributes your connections to.")

    @OptionGroup var control: ControlSocketOption

    func run() throws {
        let response = try control.send(ControlRequest(op: .whoami))
        guard !control.json, let principal = response.principal else { return }
        print(principal.subject)
        if let email = principal.email { print("email:    \(email)") }
        if !principal.groups.isEmpty { print("groups:   \(principal.groups.joined(separator: ", "))") }
        print("source:   \(principal.source.rawValue)\(response.verified == true ? " (verified)" : " (not verified)")")
        if let expiry = response.expiresAt { print("expires:  \(expiryText(expiry))") }
        switch response.refreshTokenHeld {
        case true?: print("refresh:  yes, the daemon renews the token before it expires")
        case false?: print("refresh:  no; run `chaperone login` again before it expires")
        case nil: break
        }
    }
}

/// `2025-06-01T11:32:00Z (in 42 min)`: an expiry as a person reads it.
func expiryText(_ date: Date, now: Date = Date()) -> String {
    let seconds = Int(date.timeIntervalSince(now).rounded())
    let relative: String
    switch seconds {
    case ..<0: relative = "expired"
    case ..<120: relative = "in \(seconds) s"
    case ..<7_200: relative = "in \(seconds / 60) min"
    case ..<172_800: relative = "in \(seconds / 3_600) h \(seconds % 3_600 / 60) min"
    default: relative = "in \(seconds / 86_400) days"
    }
    return "\(date.formatted(.iso8601)) (\(relative))"
}

/// `chaperone logout`: forget the token (and refresh token) of the calling user.
struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Forget your token and its refresh token; your connections are attributed to your unix user again.")

    @OptionGroup var control: ControlSocketOption

    func run() throws {
        let response = try control.send(ControlRequest(op: .logout))
        if !control.json { print(response.removed == true ? "token removed" : "no token was set") }
    }
}
