import ArgumentParser
import Audit
import Foundation
import Identity
import Logging
import Proxy

/// Opens the audit store of a configuration for the CLI.
struct AuditStoreOption: ParsableArguments {
    @OptionGroup var config: ConfigOption

    func open() throws -> (AuditStore, ChaperoneConfiguration) {
        let configuration = try config.load()
        let path = configuration.effectiveAuditPath
        let keyPath = configuration.effectiveAuditKeyPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no audit store at \(path); has the daemon run with this configuration?")
        }
        guard FileManager.default.fileExists(atPath: keyPath) else {
            throw ValidationError("no audit signing key at \(keyPath); has the daemon run with this configuration?")
        }
        var logger = Logger(label: "chaperone.audit")
        logger.logLevel = .error
        do {
            let key = try AuditSigningKey.loadOrCreate(at: keyPath)
            return (try AuditStore(path: path, signingKey: key, options: .init(), logger: logger), configuration)
        } catch {
            throw ValidationError("\(error.description) (run as the daemon's user: sudo -u chaperone chaperone …)")
        }
    }

    /// Asks the running daemon; nil when it does not answer (then the CLI may write itself).
    func askDaemon(_ request: ControlRequest) throws -> ControlResponse? {
        let socket = try config.load().identity.controlSocket
        return try? ControlClient.send(request, socketPath: socket, timeout: 120)
    }
}

/// `chaperone audit`: verify, export, prune the tamper-evident log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and prune the hash-chained audit log.",
        discussion: """
            The log is STATE/audit.db (SQLite): every event carries the SHA-256 of the one before, \
            and a checkpoint signed with STATE/audit-signing.key (Ed25519) follows every N events \
            or T seconds. docs/audit-store.md describes the format; docs/audit-events.md the events.
            Run these as the daemon's user (sudo -u chaperone chaperone audit …): the store and \
            the key belong to it.
            """,
        subcommands: [Verify.self, Export.self, Prune.self, PublicKey.self, AuditBenchCommand.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the chain and every checkpoint signature; name the first bad seq.",
            discussion: """
                Exit status 0 when the log (or package) verifies, 1 when it does not: the message \
                names the first bad seq and what is wrong with it (changed, removed, reordered, \
                chain broken, bad signature, truncated, unanchored).

                --checkpoint FILE compares with a checkpoint held elsewhere (the last audit.checkpoint \
                line your SIEM received, or a jsonl sink file): a log cut short after it is caught. \
                --export DIR verifies an evidence package offline, without the daemon or the store; \
                pin the key you received out of band with --public-key.
                """)

        @Option(help: ArgumentHelp("A file whose last audit.checkpoint JSON line is the external claim.", valueName: "file"))
        var checkpoint: String?

        @Option(help: ArgumentHelp("Verify this evidence package instead of the store.", valueName: "dir"))
        var export: String?

        @Option(help: ArgumentHelp("The Ed25519 public key (PEM) to verify signatures with.", valueName: "file"))
        var publicKey: String?

        @OptionGroup var store: AuditStoreOption

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            let pinned = try publicKey.map { path -> AuditPublicKey in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw ValidationError("cannot read --public-key \(path)")
                }
                do { return try AuditPublicKey(pem: text) } catch { throw ValidationError("\(error)") }
            }
            let report: AuditVerificationReport
            do {
                if let export {
                    report = try AuditExporter.verifyExport(at: URL(fileURLWithPath: export), pinnedPublicKey: pinned)
                } else {
                    let (opened, _) = try store.open()
                    let claim = try checkpoint.map(Self.claim(from:))
                    report = try await AuditVerifier.verify(
                        store: opened, publicKey: pinned ?? opened.signingKey.publicKey, externalCheckpoint: claim)
                    await opened.close()
                }
            } catch let error as AuditError {
                throw ValidationError(error.description)
            }
            if json {
                try printJSON(VerifyOutput(report))
            } else if report.ok {
                print("ok: \(report.eventsChecked) events (seq \(report.firstSeq ?? 0)…\(report.lastSeq ?? 0)), \(report.checkpointsChecked) signed checkpoints; last signed seq \(report.lastSignedSeq.map(String.init) ?? "none")")
            }
            if !report.ok {
                FileHandle.standardError.write(Data("chaperone: audit log does NOT verify: \(report.message)\n".utf8))
                throw ExitCode(1)
            }
        }

        static func claim(from path: String) throws -> AuditCheckpointClaim {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read --checkpoint \(path)")
            }
            // A jsonl sink's file holds the event lines as they are; a syslog receiver's may put
            // a BOM or the RFC 5424 header in front: the event is the JSON object from the first brace.
            let lines = text.split(separator: "\n").map(String.init).filter { $0.contains("\"audit.checkpoint\"") }
            guard let found = lines.last, let brace = found.firstIndex(of: "{") else {
                throw ValidationError("\(path) holds no audit.checkpoint event line")
            }
            let last = String(found[brace...])
            do { return try AuditCheckpointClaim(jsonLine: last) } catch { throw ValidationError("\(error)") }
        }

        struct VerifyOutput: Encodable {
            var ok: Bool
            var events: Int
            var checkpoints: Int
            var firstSeq: Int64?
            var lastSeq: Int64?
            var lastSignedSeq: Int64?
            var firstBadSeq: Int64?
            var problem: String?
            var file: String?
            var message: String

            init(_ report: AuditVerificationReport) {
                ok = report.ok
                events = report.eventsChecked
                checkpoints = report.checkpointsChecked
                firstSeq = report.firstSeq
                lastSeq = report.lastSeq
                lastSignedSeq = report.lastSignedSeq
                firstBadSeq = report.firstBadSeq
                problem = report.problem?.rawValue
                file = report.failure?.file
                message = report.message
            }

            enum CodingKeys: String, CodingKey {
                case ok, events, checkpoints, problem, file, message
                case firstSeq = "first_seq", lastSeq = "last_seq", lastSignedSeq = "last_signed_seq"
                case firstBadSeq = "first_bad_seq"
            }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(ok, forKey: .ok)
                try c.encode(events, forKey: .events)
                try c.encode(checkpoints, forKey: .checkpoints)
                try c.encode(firstSeq, forKey: .firstSeq)
                try c.encode(lastSeq, forKey: .lastSeq)
                try c.encode(lastSignedSeq, forKey: .lastSignedSeq)
                try c.encode(firstBadSeq, forKey: .firstBadSeq)
                try c.encode(problem, forKey: .problem)
                try c.encode(file, forKey: .file)
                try c.encode(message, forKey: .message)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an evidence package for a period: events, tables, manifest, CONTROLS.md.",
            discussion: """
                The package holds the chain segment of the period (and the signed checkpoint that \
                closes it), sessions, exchanges, approvals, grants, masking findings, policy \
                snapshots and checkpoints as JSON or CSV, the public key, manifest.json with the \
                SHA-256 of every file, and CONTROLS.md mapping each file to ISO/IEC 27001 Annex A \
                controls. Verify it anywhere with `chaperone audit verify --export DIR`.
                """)

        @Option(help: "Start of the period (2025-01-01 or RFC 3339).") var from: String
        @Option(help: "End of the period (inclusive).") var to: String
        @Option(help: "Table format: json or csv.") var format = "json"
        @Option(help: ArgumentHelp("An empty or new directory.", valueName: "dir")) var out: String
        @OptionGroup var store: AuditStoreOption
        @Flag(help: "Print what was written as JSON.") var json = false

        func run() async throws {
            guard let start = AuditDates.parse(from), let end = AuditDates.parse(to) else {
                throw ValidationError("--from and --to take dates: 2025-01-31 or 2025-01-31T10:00:00Z")
            }
            guard let tableFormat = AuditExporter.Format(rawValue: format) else {
                throw ValidationError("--format must be json or csv")
            }
            // The daemon signs a checkpoint first, so the package's last event is covered by a
            // signature and this process never appends behind the daemon.
            _ = try store.askDaemon(ControlRequest(op: .auditCheckpoint))
            let (opened, _) = try store.open()
            do {
                let summary = try await AuditExporter.export(
                    store: opened, from: start, to: end, format: tableFormat, to: URL(fileURLWithPath: out),
                    publicKey: opened.signingKey.publicKey)
                await opened.close()
                if json {
                    let output: [String: String] = [
                        "directory": summary.directory.path, "files": summary.files.joined(separator: ","),
                        "events": String(summary.eventCount), "first_seq": String(summary.firstSeq),
                        "last_seq": String(summary.lastSeq), "key_id": summary.keyID,
                    ]
                    try printJSON(output)
                } else {
                    print("wrote \(summary.files.count) files to \(summary.directory.path): events \(summary.firstSeq)…\(summary.lastSeq) (\(summary.eventCount)), key \(summary.keyID)")
                }
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove events older than a date; a signed tombstone keeps the rest verifiable.",
            discussion: """
                The daemon also prunes on its own after audit.retention_days. With the daemon \
                running, the pruning is done by the daemon (the store's one writer).
                """)

        @Option(help: "Remove events before this date (2025-01-01 or RFC 3339).") var before: String
        @OptionGroup var store: AuditStoreOption
        @Flag(help: "Print the result as JSON.") var json = false

        func run() async throws {
            guard let cutoff = AuditDates.parse(before) else {
                throw ValidationError("--before takes a date: 2025-01-31 or 2025-01-31T10:00:00Z")
            }
            var result: [String: Any]
            if let response = try store.askDaemon(ControlRequest(op: .auditPrune, arguments: ["before": before])) {
                if let failure = response.error { throw ValidationError(failure.message) }
                result = decodeObject(response.result)
            } else {
                let (opened, _) = try store.open()
                do {
                    let report = try await opened.prune(before: cutoff)
                    await opened.close()
                    result = ["pruned": report.deleted]
                    if let seq = report.prunedThroughSeq { result["pruned_through_seq"] = seq }
                    if let seq = report.tombstone?.seq { result["tombstone_seq"] = seq }
                } catch {
                    throw ValidationError("\(error)")
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("pruned \(result["pruned"] ?? 0) events")
            }
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the checkpoint public key (PEM) for auditors to pin.")
        @OptionGroup var config: ConfigOption

        func run() async throws {
            let path = try config.load().effectiveAuditKeyPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("no audit signing key at \(path); the daemon creates it on its first start")
            }
            do {
                print(try AuditSigningKey.loadOrCreate(at: path).publicKeyPEM, terminator: "")
            } catch {
                throw ValidationError(error.description)
            }
        }
    }
}
