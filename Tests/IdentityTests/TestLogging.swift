import Foundation
import Logging
import Synchronization

/// Every line logged through its loggers, rendered with metadata, for tests that prove what is
/// never logged.
final class LogCapture: Sendable {
    private let storage = Mutex<[String]>([])

    /// A logger at trace level whose lines land here.
    func logger(_ label: String = "test") -> Logger {
        Logger(label: label) { CapturingLogHandler(label: $0, capture: self) }
    }

    /// The lines so far: `LEVEL message key=value …`.
    var lines: [String] { self.storage.withLock { $0 } }

    fileprivate func append(_ line: String) {
        self.storage.withLock { $0.append(line) }
    }
}

private struct CapturingLogHandler: LogHandler {
    let label: String
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.capture.append("[\(self.label)] \(event.level) \(event.message) \(rendered)")
    }
}
