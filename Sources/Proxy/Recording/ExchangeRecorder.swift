import Foundation
public import Logging

/// Appends ``ExchangeRecord``s to a JSON-lines file, off the event loops.
///
/// Lines are encoded and written in order on one serial queue with `O_APPEND`, so concurrent
/// connections never interleave inside a line.
public final class ExchangeRecorder: Sendable {
    private let queue = DispatchQueue(label: "chaperone.exchange-recorder")
    private let fileDescriptor: Int32
    private let logger: Logger

    /// Opens (creating 0640) the file at `path` for appending.
    ///
    /// - Throws: ``ConfigurationError`` with `.unreadable` when the file cannot be opened.
    public init(path: String, logger: Logger) throws(ConfigurationError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw ConfigurationError(
                .unreadable,
                "cannot open \(path) for appending: \(String(cString: strerror(errno))); check that the state directory exists and belongs to the daemon's user"
            )
        }
        self.fileDescriptor = fd
        self.logger = logger
    }

    deinit {
        queue.sync {}
        close(fileDescriptor)
    }

    /// Queues `record` for appending. Encoding happens on the recorder's queue, so the event
    /// loop that calls this only enqueues.
    public func record(_ record: ExchangeRecord) {
        let fd = fileDescriptor
        let logger = logger
        queue.async {
            guard var line = try? record.jsonLine() else {
                logger.error("cannot encode an exchange record")
                return
            }
            line.append(UInt8(ascii: "\n"))
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written != line.count {
                logger.error("cannot append an exchange record", metadata: ["errno": "\(errno)"])
            }
        }
    }

    /// Waits until every queued record is written (for shutdown and tests).
    public func flush() {
        queue.sync {}
    }
}
