public import Foundation

/// What ``AuditExporter/export(store:from:to:format:to:publicKey:)`` wrote.
public struct AuditExportSummary: Sendable, Hashable {
    /// The package directory.
    public var directory: URL
    /// The files written, manifest included.
    public var files: [String]
    /// The requested period.
    public var from: Date
    public var to: Date
    /// The chain segment: first and last seq (the last is a checkpoint).
    public var firstSeq: Int64
    public var lastSeq: Int64
    /// Lines in `events.jsonl` (segment plus referenced policy snapshots).
    public var eventCount: Int
    /// The signing key's id.
    public var keyID: String

    public init(
        directory: URL, files: [String], from: Date, to: Date, firstSeq: Int64, lastSeq: Int64, eventCount: Int,
        keyID: String
    ) {
        self.directory = directory
        self.files = files
        self.from = from
        self.to = to
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.eventCount = eventCount
        self.keyID = keyID
    }
}
