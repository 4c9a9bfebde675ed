import Audit
import AuditForwarding
import Foundation
import Logging
import Proxy
import ServiceLifecycle

/// Applies the retention period: once at start and then daily, events older than
/// `audit.retention_days` are pruned behind a signed tombstone.
struct AuditMaintenanceService: Service {
    let trail: AuditTrail
    let retentionDays: Int
    let logger: Logger

    func run() async throws {
        guard retentionDays > 0 else {
            try await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let cutoff = Date().addingTimeInterval(-Double(retentionDays) * 86_400)
            do {
                let report = try await trail.store.prune(before: cutoff)
                if report.deleted > 0 {
                    logger.notice(
                        "pruned audit events past the retention period",
                        metadata: ["count": "\(report.deleted)", "retention_days": "\(retentionDays)"])
                }
            } catch {
                logger.error("cannot prune the audit log", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(86_400)) }
        }
    }
}

/// Rings the forwarder as soon as events are committed, so sinks see them within milliseconds
/// rather than at the next poll.
struct AuditForwardingBell: Service {
    let store: AuditStore
    let forwarding: any AuditForwardingRinging

    func run() async throws {
        for await _ in store.newEvents().cancelOnGracefulShutdown() {
            forwarding.notify()
        }
    }
}

/// What the bell rings.
protocol AuditForwardingRinging: Sendable {
    func notify()
}

extension ForwardingService: AuditForwardingRinging {}
