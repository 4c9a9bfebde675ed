import ArgumentParser
import Foundation
import Identity
import Policy
import Proxy

/// `chaperone policy`: check and explain the rules in `Rules/policy.yaml`.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check a policy directory, or explain what it decides for a request.",
        subcommands: [Check.self, Explain.self, Reload.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate policy.yaml (and policy.d/*.yaml) in a rules directory.",
            discussion: """
                Every problem is reported as FILE:LINE:COLUMN: what is wrong and what to write \
                instead. Exit status 0 when the policy loads, 1 otherwise. Run it before copying \
                a change to /etc/chaperone/rules: the daemon keeps the old policy when the new one \
                is invalid, and logs why.
                """)

        @Argument(help: ArgumentHelp("The rules directory.", valueName: "dir"))
        var directory: String

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let url = URL(fileURLWithPath: directory)
            var loaded: Result<Policy, PolicyError>
            do {
                loaded = .success(try Policy.load(directory: url))
            } catch {
                loaded = .failure(error)
            }
            if case .success(let policy) = loaded {
                let problems = PolicyMaskingCheck.problems(of: policy, rulesDirectory: url)
                if !problems.isEmpty {
                    loaded = .failure(PolicyError(diagnostics: problems.map {
                        PolicyDiagnostic(file: "policy.yaml", line: 1, column: 1, message: $0)
                    }))
                }
            }
            switch loaded {
            case .success(let policy):
                if json {
                    try printJSON(CheckResult(ok: true, hash: policy.hash, files: policy.files.map(\.name), errors: []))
                } else {
                    print("ok: \(policy.files.map(\.name).joined(separator: ", ")) (policy hash \(policy.hash.prefix(16)))")
                }
            case .failure(let error):
                if json {
                    try printJSON(CheckResult(ok: false, hash: nil, files: [], errors: error.diagnostics.map { $0.description }))
                } else {
                    FileHandle.standardError.write(Data("\(error.description)\n".utf8))
                }
                throw ExitCode(1)
            }
        }

        struct CheckResult: Encodable {
            var ok: Bool
            var hash: String?
            var files: [String]
            var errors: [String]
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the decision for a request and the rules that led to it.",
            discussion: """
                --user names a local account (its groups come from unix_users) unless --source \
                says the principal carries a token (oidc, github-actions, gitlab-ci); then --groups \
                lists its token's groups. --body is the request body as the client would send it: \
                the model, tools and detected entities are read from it as the daemon would.

                Example: chaperone policy explain --user alice --host api.openai.com \\
                           --path /v1/chat/completions --body request.json
                """)

        @Option(help: "Who asks: a local account name, or a token subject with --source.")
        var user: String

        @Option(help: "The principal's source: unix, oidc, github-actions, gitlab-ci.")
        var source = "unix"

        @Option(help: "Comma-separated token groups (with --source other than unix).")
        var groups = ""

        @Option(help: "The principal's e-mail (token principals).")
        var email: String?

        @Option(help: "The provider host the request goes to.")
        var host: String

        @Option(help: "The request path, e.g. /v1/chat/completions.")
        var path: String

        @Option(help: "The HTTP method.")
        var method = "POST"

        @Option(help: ArgumentHelp("A file with the request body.", valueName: "file"))
        var body: String?

        @Option(help: ArgumentHelp("The rules directory (default: the configured one).", valueName: "dir"))
        var rules: String?

        @OptionGroup var config: ConfigOption

        @Flag(help: "Print the decision as JSON.")
        var json = false

        func run() throws {
            let directory = try rules.map { URL(fileURLWithPath: $0) } ?? config.load().effectiveRulesDirectory
            var data: Data?
            if let body {
                guard let read = FileManager.default.contents(atPath: body) else {
                    throw ValidationError("cannot read --body \(body)")
                }
                data = read
            }
            let asker = PolicyExplainer.Asker(
                user: user, groups: groups.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                source: source, email: email)
            let decision: PolicyDecision
            do {
                decision = try PolicyExplainer.explain(
                    rulesDirectory: directory, asker: asker, host: host, method: method, path: path, body: data)
            } catch let error as PolicyError {
                throw ValidationError(error.description)
            } catch let error as ConfigurationError {
                throw ValidationError(error.message)
            }
            if json {
                try printJSON(decision)
                return
            }
            print("decision: \(decision.outcome)")
            print("reason:   \(decision.reason)")
            if !decision.matchedRules.isEmpty { print("rules:    \(decision.matchedRules.joined(separator: ", "))") }
            print("groups:   \(decision.groups.isEmpty ? "(none)" : decision.groups.joined(separator: ", "))")
            print("masking:  \(decision.maskingRuleSet)")
            print("policy:   \(decision.policyHash.prefix(16))")
            print("steps:")
            for step in decision.trace {
                print("  \(step.stage.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(step.result.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(step.rule): \(step.detail)")
            }
        }
    }

    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the daemon to load the policy files again (as SIGHUP does).")

        @OptionGroup var control: ControlSocketOption

        func run() throws {
            let response = try control.send(ControlRequest(op: .policyReload), printResponse: false)
            if !control.json { print(response.result ?? "") }
        }
    }
}

/// `chaperone approvals`: list, approve and deny requests held by the policy.
struct ApprovalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "List, approve or deny requests waiting for an approver.",
        discussion: """
            Who approves is who the kernel says you are (SO_PEERCRED) with the groups of your \
            token (chaperone login / token set) or of unix_users in the policy. You must be in one \
            of the rule's approver groups, and you cannot approve your own request.
            """,
        subcommands: [List.self, Approve.self, Deny.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending and recently decided approvals.")
        @OptionGroup var control: ControlSocketOption

        func run() throws {
            let response = try control.send(ControlRequest(op: .approvalsList), printResponse: false)
            if control.json {
                print(response.result ?? "[]")
                return
            }
            let items = decodeList(response.result)
            if items.isEmpty {
                print("no approvals")
                return
            }
            for item in items {
                let status = item["status"] as? String ?? "?"
                print("\(item["id"] as? String ?? "?")  \(status.padding(toLength: 8, withPad: " ", startingAt: 0))  \(item["rule"] as? String ?? "?")  \(item["requester"] as? String ?? "?")  \(item["provider"] as? String ?? "-") \(item["model"] as? String ?? "")  until \(item["expires_at"] as? String ?? "?")")
            }
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a pending request.")
        @Argument(help: "The approval id (apr-…).") var id: String
        @Option(help: "Why (required by rules that ask for a justification).") var reason: String?
        @OptionGroup var control: ControlSocketOption

        func run() throws {
            try ApprovalsCommand.decide(.approvalsApprove, id: id, reason: reason, control: control, done: "approved")
        }
    }

    struct Deny: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deny a pending request; the reason reaches the requester.")
        @Argument(help: "The approval id (apr-…).") var id: String
        @Option(help: "Why; shown to the requester.") var reason: String?
        @OptionGroup var control: ControlSocketOption

        func run() throws {
            try ApprovalsCommand.decide(.approvalsDeny, id: id, reason: reason, control: control, done: "denied")
        }
    }

    /// Sends an approve or deny for `id`; prints the approval (`--json`) or one line.
    static func decide(
        _ op: ControlRequest.Operation, id: String, reason: String?, control: ControlSocketOption, done: String
    ) throws {
        var arguments = ["id": id]
        arguments["reason"] = reason
        let response = try control.send(ControlRequest(op: op, arguments: arguments), printResponse: false)
        if control.json { print(response.result ?? "{}") } else { print("\(done) \(id)") }
    }
}

/// `chaperone grant`: time-bound access for one principal.
struct GrantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Give a principal time-bound access that the policy would otherwise refuse.",
        discussion: """
            PRINCIPAL is a token subject or e-mail, or unix:NAME for a local account. The grant \
            expires on its own; `chaperone grants` lists the active ones, `chaperone grants \
            --revoke ID` ends one early. Only root and members of an approver group may grant.

            Example: chaperone grant alice@example.com --provider gemini --for 1h --reason "eval INC-42"
            """)

    @Argument(help: "Who gets the grant.") var principal: String
    @Option(help: "Limit it to one provider (catalog name).") var provider: String?
    @Option(help: "Limit it to models matching this glob.") var model: String?
    @Option(help: "Limit it to one endpoint (chat, embeddings, files, fine-tuning, …).") var endpoint: String?
    @Option(name: .customLong("for"), help: "How long: 15m, 2h, 90s.") var duration: String
    @Option(help: "Why; recorded in the audit log.") var reason: String
    @OptionGroup var control: ControlSocketOption

    func run() throws {
        guard let seconds = parseDuration(duration) else {
            throw ValidationError("--for takes a duration such as 15m, 2h or 90s")
        }
        var arguments = ["principal": principal, "seconds": String(seconds), "reason": reason]
        arguments["provider"] = provider
        arguments["model"] = model
        arguments["endpoint"] = endpoint
        let response = try control.send(ControlRequest(op: .grantCreate, arguments: arguments), printResponse: false)
        if control.json { print(response.result ?? "{}") } else {
            let grant = decodeObject(response.result)
            print("granted \(grant["id"] as? String ?? "?") to \(principal) until \(grant["expires"] as? String ?? "?")")
        }
    }
}

/// `chaperone grants`: the active grants.
struct GrantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants", abstract: "List the active time-bound grants, or revoke one.")

    @Option(help: "Revoke this grant instead of listing.") var revoke: String?
    @OptionGroup var control: ControlSocketOption

    func run() throws {
        if let revoke {
            let response = try control.send(ControlRequest(op: .grantRevoke, arguments: ["id": revoke]), printResponse: false)
            if control.json { print(response.result ?? "{}") } else { print("revoked \(revoke)") }
            return
        }
        let response = try control.send(ControlRequest(op: .grantsList), printResponse: false)
        if control.json {
            print(response.result ?? "[]")
            return
        }
        let items = decodeList(response.result)
        if items.isEmpty { print("no active grants") }
        for item in items {
            print("\(item["id"] as? String ?? "?")  \(item["subject"] as? String ?? "?")  \(item["provider"] as? String ?? "any provider")  until \(item["expires"] as? String ?? "?")  by \(item["created_by"] as? String ?? "?"): \(item["reason"] as? String ?? "")")
        }
    }
}

/// `15m`, `2h`, `90s`, `1d` in seconds.
func parseDuration(_ text: String) -> Int? {
    guard let unit = text.last, let value = Int(text.dropLast()), value > 0 else { return nil }
    switch unit {
    case "s": return value
    case "m": return value * 60
    case "h": return value * 3_600
    case "d": return value * 86_400
    default: return nil
    }
}

func decodeList(_ json: String?) -> [[String: Any]] {
    guard let json, let value = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else { return [] }
    return value
}

func decodeObject(_ json: String?) -> [String: Any] {
    guard let json, let value = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
    return value
}
