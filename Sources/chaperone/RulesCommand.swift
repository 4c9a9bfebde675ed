import ArgumentParser
import Foundation
import Interception
import Logging
import Proxy

/// `chaperone rules`: the netfilter redirect that sends provider traffic to the daemon.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Install, remove or inspect the netfilter redirect.",
        discussion: """
            install resolves every exact provider host (Rules/providers.yaml plus intercept_hosts) \
            into the ipsets chaperone-llm4/6, redirects TCP/443 to those addresses to the daemon's \
            port (locally and from container bridges), refuses UDP/443 to them (no QUIC), and \
            queues DNS answers to the daemon, which adds provider addresses as they are resolved. \
            IPv4 and IPv6; the daemon's own user is exempt. It is idempotent and ends connections \
            to those addresses opened before it. uninstall removes exactly what install added. \
            While the rules are installed and the daemon is down, connections to providers are \
            refused (fail closed). docs/netfilter.md explains every rule.
            """,
        subcommands: [Install.self, Uninstall.self, Status.self]
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Redirect provider traffic to the daemon.")
        @OptionGroup var config: ConfigOption
        @Flag(help: "Print the installed rule sets as JSON.") var json = false

        func run() throws {
            let configuration = try config.load()
            let catalog = try loadCatalog(configuration)
            let sets: [RedirectRuleSet]
            do {
                sets = try RuleInstaller(logger: cliLogger()).install(
                    hosts: catalog.resolvableHosts, daemonPort: configuration.listen.port,
                    exemptUser: configuration.exemptUser, queueNumber: configuration.dns.queue,
                    queueBypass: configuration.dns.queueBypass)
            } catch {
                throw ValidationError(error.message)
            }
            if json {
                    try printJSON(sets.map { ["family": $0.family.rawValue, "addresses": $0.addresses.joined(separator: ",")] })
                } else {
                    for set in sets {
                        print("\(set.family.rawValue): \(set.addresses.count) addresses → port \(set.daemonPort) (uid \(set.exemptUID) exempt)")
                    }
            }
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the redirect; the host's other rules are untouched.")
        @OptionGroup var config: ConfigOption

        func run() throws {
            do {
                try RuleInstaller(logger: cliLogger()).uninstall()
                print("redirect removed")
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether this host's provider traffic is intercepted.")
        @OptionGroup var config: ConfigOption
        @Flag(help: "Print the status as JSON.") var json = false

        func run() throws {
            let configuration = try config.load()
            let status: RuleInstaller.Status
            do {
                status = try RuleInstaller(logger: cliLogger()).status(daemonPort: configuration.listen.port)
            } catch {
                throw ValidationError(error.message)
            }
            if json {
                try printJSON(status)
            } else {
                print(status.protected ? "protected" : "NOT protected")
                print("ipv4: \(status.ipv4.jumpPresent ? "active" : "inactive"), \(status.ipv4.redirectedAddresses.count) addresses")
                if let v6 = status.ipv6 {
                    print("ipv6: \(v6.jumpPresent ? "active" : "inactive"), \(v6.redirectedAddresses.count) addresses")
                }
                print("daemon on port \(status.daemonPort): \(status.daemonAnswers ? "answering" : "NOT answering")")
            }
            if !status.protected { throw ExitCode(3) }
        }
    }
}

func loadCatalog(_ configuration: ChaperoneConfiguration) throws -> ProviderCatalog {
    do {
        return try ConfigurationLoader.loadProviders(rulesDirectory: configuration.effectiveRulesDirectory)
            .adding(extraHosts: configuration.interceptHosts)
    } catch {
        throw ValidationError(error.message)
    }
}

func cliLogger() -> Logger {
    var logger = Logger(label: "chaperone")
    logger.logLevel = .info
    return logger
}
