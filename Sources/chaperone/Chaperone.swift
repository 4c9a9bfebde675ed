import ArgumentParser

/// `chaperone`: the daemon and its command line.
@main
struct Chaperone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaperone",
        abstract: "Audit and data-protection interceptor for outbound LLM API traffic.",
        discussion: """
            Netfilter rules send this host's connections to LLM providers (OpenAI, Anthropic, GitHub \
            Copilot, ...) to a local daemon. The daemon terminates TLS with leaves minted by the \
            organisation's CA, relays each request to the real provider and records every exchange. \
            Clients are not reconfigured: they only have to trust the org CA.

            Install on a host with deploy/install.sh (user, CA, trust stores, systemd unit, \
            rules). By hand:
              chaperone ca init --dir /var/lib/chaperone/ca --owner chaperone
              chaperone rules install --config /etc/chaperone/chaperone.yaml
              chaperone run --config /etc/chaperone/chaperone.yaml     (as user chaperone)
              chaperone rules status
            Policy: Rules/policy.yaml decides each request (allow, deny, hold for an approver, \
            ticket); see `chaperone policy explain`, `chaperone approvals`, `chaperone grant`.
            Records: the hash-chained audit log STATE/audit.db (`chaperone sessions list`, \
            `chaperone replay`, `chaperone audit verify|export|prune`) and a one-line summary per \
            exchange in STATE/exchanges.jsonl.
            """,
        subcommands: [
            CACommand.self, RunCommand.self, RulesCommand.self, MaskCommand.self, LoginCommand.self, TokenCommand.self, WhoamiCommand.self,
            LogoutCommand.self, PolicyCommand.self, ApprovalsCommand.self, GrantCommand.self, GrantsCommand.self,
            SessionsCommand.self, ReplayCommand.self, AuditCommand.self, DoctorCommand.self, InstallCommand.self,
            AttributionBenchCommand.self,
        ]
    )
}
