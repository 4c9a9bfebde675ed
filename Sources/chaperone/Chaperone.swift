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

            A first run on a fresh machine:
              chaperone ca init --dir /var/lib/chaperone/ca --owner chaperone
              chaperone run --config /etc/chaperone/chaperone.yaml &
              chaperone rules install --config /etc/chaperone/chaperone.yaml
            """,
        subcommands: [
            CACommand.self, RunCommand.self, RulesCommand.self, MaskCommand.self, TokenCommand.self, WhoamiCommand.self,
            LogoutCommand.self,
        ]
    )
}
