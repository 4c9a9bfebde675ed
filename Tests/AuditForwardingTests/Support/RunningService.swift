import AuditForwarding
import Logging
import ServiceLifecycle

/// Runs `service` in a `ServiceGroup` around `body`, then shuts it down gracefully.
func withRunningService<T>(_ service: ForwardingService, _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test.group")))
    let running = Task { try await group.run() }
    do {
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .notice
    return logger
}

/// Quick retries for tests.
let fastRetries = ForwardingService.Configuration(
    batchSize: 64, pollInterval: .milliseconds(200), initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(500))
