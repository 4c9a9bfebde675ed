public import Foundation

/// Writes and checks evidence packages: a signed chain segment plus derived tables.
///
/// A package directory holds `events.jsonl` (one ``AuditEvent/jsonLine`` per line), the tables
/// `sessions`, `exchanges`, `approvals`, `grants`, `findings`, `policy_snapshots` and
/// `checkpoints` (`.csv` or `.json`), `public-key.pem`, `CONTROLS.md` (ISO 27001 mapping and
/// manual verification steps) and `manifest.json`
/// `{"format_version":1,"generated_at","range":{"from","to"},"files":{name: sha256},"first_seq","last_seq","key_id"}`.
public enum AuditExporter {
    /// The table file format.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case json
        case csv
    }

    /// The file names every package has besides the tables.
    static let eventsFile = "events.jsonl"
    static let manifestFile = "manifest.json"
    static let publicKeyFile = "public-key.pem"
    static let controlsFile = "CONTROLS.md"

    /// Exports the events of a period as an evidence package.
    ///
    /// The segment runs from the first event with `time ≥ from` to the first checkpoint after the
    /// last event with `time ≤ to` (so its end is signed; when no checkpoint follows yet, one is
    /// written first), contiguous in seq: events in between are included even if their time falls
    /// outside the period. `policy.snapshot` events referenced by the segment's `policy_hash`
    /// values are included even when older.
    /// - Parameters:
    ///   - store: The log.
    ///   - from: Start of the period (inclusive).
    ///   - to: End of the period (inclusive).
    ///   - format: The table format.
    ///   - directory: An empty or new directory.
    ///   - publicKey: The key that verifies the store's checkpoints; written as `public-key.pem`.
    /// - Returns: What was written.
    /// - Throws: ``AuditError`` with code `.export` when the period is empty, the directory is
    ///   not empty or cannot be written, or the key does not match the store's checkpoints.
    public static func export(
        store: AuditStore, from: Date, to: Date, format: Format, to directory: URL, publicKey: AuditPublicKey
    ) async throws(AuditError) -> AuditExportSummary {
        guard publicKey.keyID == store.signingKey.keyID else {
            throw AuditError(.export, "the public key \(publicKey.keyID) does not belong to this store's signing key \(store.signingKey.keyID); export with the daemon's key")
        }
        await store.flush()
        let lower = AuditTimestamp.format(from)
        let upper = AuditTimestamp.format(to)
        let bounds = try await store.asyncRead { db in try AuditExportQueries.bounds(db, lower: lower, upper: upper) }
        guard let bounds else {
            throw AuditError(.export, "no audit events between \(lower) and \(upper); widen the period or check the clock")
        }
        var end = try await store.asyncRead { db in try AuditExportQueries.checkpoint(db, after: bounds.last) }
        if end == nil { end = try await store.checkpoint().seq }
        let segment = try await store.events(seqs: bounds.first...end!)
        let hashes = Set(segment.compactMap(\.policyHash))
        let first = bounds.first
        let prelude = try await store.asyncRead { db in try AuditExportQueries.snapshots(db, hashes: hashes, before: first) }
        let events = prelude + segment

        let fileManager = FileManager.default
        try prepare(directory, fileManager)
        var files: [String: Data] = [:]
        var lines = ""
        for event in events { lines += event.jsonLine + "\n" }
        files[eventsFile] = Data(lines.utf8)
        var tableFiles: [String] = []
        for table in AuditExportTables.make(events) {
            let name = table.name + "." + format.rawValue
            files[name] = Data((format == .csv ? try table.csv() : try table.json()).utf8)
            tableFiles.append(name)
        }
        files[publicKeyFile] = Data(publicKey.pem.utf8)
        var summary = AuditExportSummary(
            directory: directory, files: [], from: from, to: to, firstSeq: bounds.first, lastSeq: end!,
            eventCount: events.count, keyID: publicKey.keyID)
        files[controlsFile] = Data(AuditControlsDocument.make(summary: summary, tableFiles: tableFiles).utf8)

        var digests: [String: AuditValue] = [:]
        for (name, data) in files { digests[name] = .string(AuditHash.sha256(data)) }
        let manifest: AuditValue = [
            "format_version": 1, "generated_at": .string(AuditTimestamp.format(Date())),
            "range": ["from": .string(lower), "to": .string(upper)], "files": .object(digests),
            "first_seq": .int(bounds.first), "last_seq": .int(end!), "key_id": .string(publicKey.keyID),
        ]
        files[manifestFile] = Data((try manifest.canonicalJSON() + "\n").utf8)
        for (name, data) in files {
            let url = directory.appendingPathComponent(name)
            do {
                try data.write(to: url, options: .atomic)
            } catch {
                throw AuditError(.export, "cannot write \(url.path): \(error); check free space and permissions")
            }
        }
        summary.files = files.keys.sorted()
        return summary
    }

    private static func prepare(_ directory: URL, _ fileManager: FileManager) throws(AuditError) {
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw AuditError(.export, "cannot create \(directory.path): \(error); choose a writable location")
        }
        let existing = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        guard existing.isEmpty else {
            throw AuditError(.export, "\(directory.path) is not empty; export into a new or empty directory")
        }
    }
}
