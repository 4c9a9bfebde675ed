public import Logging
public import NIOPosix
internal import Synchronization

/// Appends each event's JSON line to a file for a log shipper (Filebeat, Vector, Fluent Bit).
///
/// Lines are written with `O_APPEND` and the file is `fsync`ed once per batch before `deliver`
/// returns. A file created by the sink has mode 0640. When the file was renamed or deleted since
/// the last batch (rotation), the sink creates a new one at the path, so nothing is written into
/// a rotated file after the shipper moved on. A write that fails half-way leaves the first part of
/// the batch in the file and the batch is appended again: shippers see those lines twice.
public final class JSONLinesFileSink: AuditSink {
    public let name: String
    private let file: Mutex<AppendOnlyFile>
    private let threadPool: NIOThreadPool
    private let logger: Logger

    /// Creates the sink; the file is opened on the first delivery.
    public init(configuration: JSONLinesSinkConfiguration, threadPool: NIOThreadPool = .singleton, logger: Logger) {
        self.name = configuration.name
        self.file = Mutex(AppendOnlyFile(path: configuration.path))
        self.threadPool = threadPool
        var logger = logger
        logger[metadataKey: "sink"] = "\(configuration.name)"
        self.logger = logger
    }

    public func deliver(_ batch: [ForwardedEvent]) async throws {
        guard !batch.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.reduce(0) { $0 + $1.jsonLine.utf8.count + 1 })
        for event in batch {
            bytes.append(contentsOf: event.jsonLine.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        let name = name
        try await threadPool.runIfActive { [self, bytes] in
            try self.file.withLock { file in
                do {
                    try file.appendAndSync(bytes)
                } catch let error as AppendOnlyFile.Failure {
                    throw SinkError(
                        .fileFailed, sink: name,
                        "cannot \(error.operation) \(file.path): \(error.reason); check that the directory exists, that chaperone may write there and that the disk is not full")
                }
            }
        }
    }

    public func close() async {
        try? await threadPool.runIfActive { [self] in self.file.withLock { $0.closeDescriptor() } }
    }
}
