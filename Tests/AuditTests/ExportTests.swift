import Foundation
import Testing

@testable import Audit

@Suite struct ExportTests {
    let key = AuditSigningKey.generate()
    let t0 = Date(timeIntervalSince1970: 1_795_457_045)  // 2026-11-23T18:04:05Z

    /// A store with one realistic session inside the period and a policy snapshot before it.
    func makeStore(_ dir: TempDirectory) async throws -> AuditStore {
        let store = try openStore(dir.path("audit.db"), key: key, options: quietOptions(checkpointEvery: 6))
        let policy = "9f2c" + String(repeating: "0", count: 60)
        let alice = "unix:alice(1001)@build-7"
        let drafts: [AuditEventDraft] = [
            AuditEventDraft(kind: .policySnapshot, time: t0 - 7200, policyHash: policy, payload: ["rules": "allow openai; mask email", "version": 3]),
            AuditEventDraft(kind: .exchangeRequest, time: t0 - 3600, session: "s-old", exchange: "x-old", principal: alice, policyHash: policy),
            AuditEventDraft(
                kind: .sessionOpen, time: t0, session: "s-1", principal: alice, policyHash: policy,
                payload: ["principal": ["subject": .string(alice), "email": "alice@example.com"], "process": ["executable": "/usr/bin/python3", "pid": 4242], "sni": "api.openai.com", "provider": "openai", "alpn": "h2"]),
            AuditEventDraft(
                kind: .exchangeRequest, time: t0 + 1, session: "s-1", exchange: "x-1", principal: alice, policyHash: policy,
                payload: ["method": "POST", "path": "/v1/chat/completions", "provider": "openai", "model": "gpt-4o", "body_bytes": 812,
                          "findings": [["rule": "email", "entity": "EMAIL", "action": "mask", "direction": "request", "count": 1, "offsets": [[40, 57]]]]]),
            AuditEventDraft(kind: .policyDecision, time: t0 + 1, session: "s-1", exchange: "x-1", principal: alice, policyHash: policy, payload: ["outcome": "hold", "matched_rules": ["hold-new-models"]]),
            AuditEventDraft(kind: .approvalRequested, time: t0 + 2, session: "s-1", exchange: "x-1", principal: alice, payload: ["approval_id": "ap-1", "reason": "model not in allow list, \"hold\""]),
            AuditEventDraft(kind: .approvalApproved, time: t0 + 3, session: "s-1", exchange: "x-1", principal: alice, payload: ["approval_id": "ap-1", "approver": "oidc:carol"]),
            AuditEventDraft(kind: .grantCreated, time: t0 + 4, principal: alice, payload: ["grant_id": "g-1", "until": "2026-11-23T19:00:00.000Z"]),
            AuditEventDraft(
                kind: .exchangeResponse, time: t0 + 5, session: "s-1", exchange: "x-1", principal: alice, policyHash: policy,
                payload: ["status": 200, "body_bytes": 4096, "findings": [["rule": "aws-key", "entity": "SECRET", "action": "mask", "count": 2, "offsets": [[10, 30], [99, 119]]]]]),
            AuditEventDraft(kind: .sessionClose, time: t0 + 6, session: "s-1", principal: alice, payload: ["bytes_in": 900, "bytes_out": 5000, "duration_ms": 6000, "error": nil, "exchanges": 1]),
        ]
        for draft in drafts { _ = try await store.append(draft) }
        return store
    }

    @Test(arguments: AuditExporter.Format.allCases)
    func exportVerifiesAndDetectsEdits(format: AuditExporter.Format) async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try await makeStore(dir)
        let out = dir.url.appendingPathComponent("evidence")
        let summary = try await AuditExporter.export(store: store, from: t0, to: t0 + 3600, format: format, to: out, publicKey: key.publicKey)
        // seq 1 snapshot, 2 old request, 3…6, checkpoint 7 (every 6 events), 8…11, forced checkpoint 12.
        let events = try await store.events(after: 0, limit: 100)
        await store.close()
        #expect(summary.firstSeq == 3 && summary.lastSeq == 12)
        #expect(events.last?.kind == .checkpoint && summary.lastSeq == events.last?.seq)
        let lines = try String(contentsOf: out.appendingPathComponent("events.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == summary.eventCount)
        #expect(try AuditEvent(jsonLine: String(lines[0])).kind == .policySnapshot)  // referenced, from before the period
        #expect(!lines.contains { $0.contains("x-old") })
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        for table in ["sessions", "exchanges", "approvals", "grants", "findings", "policy_snapshots", "checkpoints"] {
            #expect(names.contains("\(table).\(format.rawValue)"))
        }
        #expect(names.isSuperset(of: ["events.jsonl", "manifest.json", "public-key.pem", "CONTROLS.md"]))

        let findings = try String(contentsOf: out.appendingPathComponent("findings.\(format.rawValue)"), encoding: .utf8)
        #expect(findings.contains("aws-key") && findings.contains("email"))
        if format == .csv {
            #expect(findings.hasPrefix("exchange,session,time,direction,rule,entity,action,count,offsets\r\n"))
            #expect(findings.contains("x-1,s-1,2026-11-23T18:04:10.000Z,response,aws-key,SECRET,mask,2,\"[[10,30],[99,119]]\"\r\n"))
            let approvals = try String(contentsOf: out.appendingPathComponent("approvals.csv"), encoding: .utf8)
            #expect(approvals.contains(#""{""approval_id"":""ap-1"",""reason"":""model not in allow list, \""hold\""""}""#))
        } else {
            let exchanges = try AuditValue(parsingJSON: try String(contentsOf: out.appendingPathComponent("exchanges.json"), encoding: .utf8))
            let row = try #require(exchanges.arrayValue?.first)
            #expect(row["model"] == "gpt-4o" && row["status"] == .int(200) && row["findings"] == .int(2) && row["response_bytes"] == .int(4096))
            #expect(row["decision"] == "hold" && row["request_bytes"] == .int(812))
        }

        var report = try AuditExporter.verifyExport(at: out, pinnedPublicKey: key.publicKey)
        #expect(report.ok, "\(report.message)")
        #expect(report.lastSeq == summary.lastSeq)

        report = try AuditExporter.verifyExport(at: out, pinnedPublicKey: AuditSigningKey.generate().publicKey)
        #expect(report.problem == .untrustedKey)

        // One byte of one table.
        let table = out.appendingPathComponent("sessions.\(format.rawValue)")
        var data = try Data(contentsOf: table)
        data[data.count - 3] ^= 0x01
        try data.write(to: table)
        report = try AuditExporter.verifyExport(at: out, pinnedPublicKey: key.publicKey)
        #expect(report.problem == .manifestMismatch && report.failure?.file == "sessions.\(format.rawValue)", "\(report.message)")
        #expect(report.message.contains("sessions.\(format.rawValue)"))
    }

    @Test func editedEventsWithAReHashedManifestFailOnTheChain() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try await makeStore(dir)
        let out = dir.url.appendingPathComponent("evidence")
        _ = try await AuditExporter.export(store: store, from: t0, to: t0 + 3600, format: .json, to: out, publicKey: key.publicKey)
        await store.close()
        // A forger edits an event and fixes up the manifest.
        let eventsURL = out.appendingPathComponent("events.jsonl")
        let text = try String(contentsOf: eventsURL, encoding: .utf8).replacingOccurrences(of: "gpt-4o", with: "gpt-4x")
        try text.write(to: eventsURL, atomically: true, encoding: .utf8)
        let manifestURL = out.appendingPathComponent("manifest.json")
        var manifest = try AuditValue(parsingJSON: try Data(contentsOf: manifestURL))
        manifest["files"]?["events.jsonl"] = .string(AuditHash.sha256(Data(text.utf8)))
        try (try manifest.canonicalJSON()).write(to: manifestURL, atomically: true, encoding: .utf8)
        let report = try AuditExporter.verifyExport(at: out, pinnedPublicKey: key.publicKey)
        #expect(report.problem == .changed && report.firstBadSeq == 4, "\(report.message)")

        // An extra file is named too.
        try "x".write(to: out.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        #expect(try AuditExporter.verifyExport(at: out, pinnedPublicKey: nil).failure?.file == "notes.txt")
    }

    @Test func controlsDocumentStepsWorkWithPythonAndOpenSSL() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try await makeStore(dir)
        let out = dir.url.appendingPathComponent("evidence")
        _ = try await AuditExporter.export(store: store, from: t0, to: t0 + 3600, format: .csv, to: out, publicKey: key.publicKey)
        await store.close()
        let controls = try String(contentsOf: out.appendingPathComponent("CONTROLS.md"), encoding: .utf8)
        for control in ["5.15", "5.18", "8.2", "8.11", "8.12", "8.15", "8.16", "5.19", "5.22", "A.9.2", "A.12.4", "A.13.2", "A.15.1"] {
            #expect(controls.contains(control), "\(control)")
        }
        let script = try #require(codeBlock("python", in: controls))
        let command = try #require(codeBlock("sh", in: controls)).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(command == "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -sigfile sig.bin -in msg.bin")

        let python3 = try run(python, ["-"], stdin: script, in: out)
        #expect(python3.status == 0, "\(python3.stderr)")
        #expect(python3.stdout.hasPrefix("chain ok"))
        let arguments = command.split(separator: " ").dropFirst().map(String.init)
        let verified = try run(openssl, arguments, in: out)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("Signature Verified Successfully"))

        // The same steps fail on a forged signature and on an edited event.
        var signature = try Data(contentsOf: out.appendingPathComponent("sig.bin"))
        signature[0] ^= 0x01
        try signature.write(to: out.appendingPathComponent("sig.bin"))
        #expect(try run(openssl, arguments, in: out).status != 0)
        let eventsURL = out.appendingPathComponent("events.jsonl")
        try String(contentsOf: eventsURL, encoding: .utf8).replacingOccurrences(of: "gpt-4o", with: "gpt-4x")
            .write(to: eventsURL, atomically: true, encoding: .utf8)
        #expect(try run(python, ["-"], stdin: script, in: out).status != 0)
    }

    @Test func exportWritesACheckpointWhenNoneFollowsAndRefusesAnEmptyPeriod() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        _ = try await store.append(draft(1, time: t0))
        let summary = try await AuditExporter.export(
            store: store, from: t0, to: t0, format: .json, to: dir.url.appendingPathComponent("e1"), publicKey: key.publicKey)
        #expect(summary.firstSeq == 1 && summary.lastSeq == 2)
        #expect(try await store.lastEvent()?.kind == .checkpoint)
        #expect(try AuditExporter.verifyExport(at: summary.directory, pinnedPublicKey: key.publicKey).ok)
        await #expect(throws: AuditError.self) {
            try await AuditExporter.export(store: store, from: t0 + 10, to: t0 + 20, format: .json, to: dir.url.appendingPathComponent("e2"), publicKey: key.publicKey)
        }
        await store.close()
    }

    func codeBlock(_ language: String, in markdown: String) -> String? {
        guard let start = markdown.range(of: "```\(language)\n"),
            let end = markdown.range(of: "\n```", range: start.upperBound..<markdown.endIndex)
        else { return nil }
        return String(markdown[start.upperBound..<end.lowerBound]) + "\n"
    }
}
