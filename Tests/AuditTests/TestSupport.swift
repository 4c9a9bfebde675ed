import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import Audit

/// A fresh directory under the system temp directory, removed by `cleanup()`.
struct TempDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("audit-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Records log messages so tests can see warnings.
struct RecordingLogHandler: LogHandler {
    static let messages = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    let label: String

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        Self.messages.withLock { $0.append("[\(label)] \(event.level): \(event.message)") }
    }
}

func testLogger(_ label: String = "audit-test") -> Logger {
    Logger(label: label) { RecordingLogHandler(label: $0) }
}

/// Options that keep count-based checkpoints out of the way unless a test wants them.
func quietOptions(checkpointEvery: Int = 1_000_000, interval: TimeInterval = 3600) -> AuditStoreOptions {
    AuditStoreOptions(checkpointEveryEvents: checkpointEvery, checkpointInterval: interval)
}

func openStore(_ path: String, key: AuditSigningKey, options: AuditStoreOptions = quietOptions(), label: String = "audit-test")
    throws -> AuditStore
{
    try AuditStore(path: path, signingKey: key, options: options, logger: testLogger(label))
}

func draft(_ index: Int, kind: AuditEventKind = .exchangeRequest, time: Date = Date(), session: String? = "s-1")
    -> AuditEventDraft
{
    AuditEventDraft(
        kind: kind, time: time, session: session, exchange: "x-\(index)", principal: "unix:alice(1001)@build-7",
        policyHash: nil, payload: ["method": "POST", "path": "/v1/chat/completions", "body": .string("hello \(index) [EMAIL]")])
}

/// Edits a closed store file the way an attacker with file access would: triggers dropped, raw SQL.
func tamper(_ path: String, _ body: (Database) throws -> Void) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
        try db.execute(sql: "DROP TRIGGER IF EXISTS events_append_only; DROP TRIGGER IF EXISTS events_delete_only_by_prune")
        try body(db)
    }
    try queue.close()
}

/// Rewrites `canonical` and `hash` of every event from `seq` on so that each matches its own
/// text and its predecessor: what a forger without the signing key can do.
func rechain(_ db: Database, from seq: Int64) throws {
    var prev = try String.fetchOne(db, sql: "SELECT hash FROM events WHERE seq = ?", arguments: [seq - 1]) ?? AuditHash.genesis
    let rows = try Row.fetchAll(db, sql: "SELECT seq, canonical FROM events WHERE seq >= ? ORDER BY seq", arguments: [seq])
    for row in rows {
        let current: Int64 = row["seq"]
        var value = try AuditValue(parsingJSON: row["canonical"] as String)
        value["prev_hash"] = .string(prev)
        let canonical = try value.canonicalJSON()
        let hash = AuditHash.chain(prevHash: prev, canonical: canonical)
        try db.execute(
            sql: "UPDATE events SET canonical = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            arguments: [canonical, prev, hash, current])
        prev = hash
    }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program and collects its output.
func run(_ executable: String, _ arguments: [String], stdin: String? = nil, in directory: URL? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe()
    let errors = Pipe()
    let input = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self))
}

let python = "/usr/bin/python3"
let openssl = "/usr/bin/openssl"
