import Interception
import Logging
import Proxy
import ServiceLifecycle

/// Runs the DNS snooper for the daemon's lifetime: answers about provider names add their
/// addresses to the redirect ipsets before the client can connect. Every
/// `dns.refresh_minutes` it also re-resolves the provider names itself (``AddressRefresher``), so
/// a provider's new address is redirected even if no answer passed the queue.
///
/// It needs CAP_NET_ADMIN (NFQUEUE and ipset netlink). Without it the daemon still intercepts the
/// addresses `rules install` resolved; the rule's `--queue-bypass` keeps DNS working either way.
struct DNSSnoopingService: Service {
    let configuration: ChaperoneConfiguration
    let catalog: ProviderCatalog
    let logger: Logger

    func run() async throws {
        let snooper: DNSSnooper
        do {
            let handler = DNSPacketHandler(catalog: catalog, minimumTimeout: configuration.dns.minimumTTL)
            snooper = DNSSnooper(
                handler: handler, queueNumber: configuration.dns.queue, writer: try IPSetNetlinkWriter(),
                logger: logger)
            try snooper.start()
        } catch {
            logger.warning(
                "DNS snooping is off: \(error.message). Addresses resolved at `rules install` are still intercepted; grant CAP_NET_ADMIN (the systemd unit does) to follow DNS."
            )
            try? await gracefulShutdown()
            return
        }
        let refresher = try? AddressRefresher(writer: IPSetNetlinkWriter())
        let hosts = catalog.resolvableHosts
        let interval = Duration.seconds(Int64(configuration.dns.refreshMinutes) * 60)
        while !Task.isShuttingDownGracefully {
            do {
                let entries = try refresher?.refresh(hosts: hosts) ?? []
                logger.debug("refreshed provider addresses", metadata: ["addresses": "\(entries.count)"])
            } catch {
                logger.warning("cannot refresh provider addresses: \(error.message)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        snooper.stop()
        let statistics = snooper.statistics
        logger.notice(
            "DNS snooper stopped",
            metadata: ["packets": "\(statistics.packets)", "added": "\(statistics.addressesAdded)"])
    }
}
