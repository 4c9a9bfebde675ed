import Foundation
import Logging
import Proxy
import ServiceLifecycle
import UnixSignals

/// Keeps the policy current and its clocks running: reloads on SIGHUP and when a policy file
/// changes, and expires approvals and grants every second (each expiry is an audit event).
struct PolicyService: Service {
    let gate: PolicyGate
    let rulesDirectory: URL
    let checkEvery: Int
    let logger: Logger

    func run() async throws {
        await gate.start()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                    logger.notice("SIGHUP: reloading the policy")
                    await gate.reload(reason: "SIGHUP")
                }
            }
            group.addTask {
                var fingerprint = Self.fingerprint(of: rulesDirectory)
                var tick = 0
                while !Task.isCancelled, !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: .seconds(1))
                    await gate.sweep()
                    tick += 1
                    guard tick % max(checkEvery, 1) == 0 else { continue }
                    let now = Self.fingerprint(of: rulesDirectory)
                    if now != fingerprint {
                        fingerprint = now
                        await gate.reload(reason: "policy files changed")
                    }
                }
            }
            try await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Names, sizes and modification times of policy.yaml and policy.d/*: cheap to compare.
    static func fingerprint(of directory: URL) -> [String] {
        var paths = [directory.appendingPathComponent("policy.yaml").path]
        let fragments = directory.appendingPathComponent("policy.d").path
        if let names = try? FileManager.default.contentsOfDirectory(atPath: fragments) {
            paths += names.sorted().map { fragments + "/" + $0 }
        }
        return paths.map { path in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "\(path):-" }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(path):\(size):\(modified)"
        }
    }
}
