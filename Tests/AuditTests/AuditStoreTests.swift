import Foundation
import GRDB
import Testing

@testable import Audit

@Suite struct AuditStoreTests {
    let key = AuditSigningKey.generate()

    @Test func submitThenAppendKeepsSubmissionOrder() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        for index in 0..<50 { store.submit(draft(index)) }
        let appended = try await store.append(draft(50))
        #expect(appended.seq == 51)
        let events = try await store.events(after: 0, limit: 100)
        #expect(events.map(\.exchange) == (0...50).map { "x-\($0)" })
        #expect(events.map(\.seq) == Array(1...51))
        await store.close()
    }

    @Test func concurrentAppendsAreContiguousAndGroupCommitted() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var last: Int64 = 0
                    for index in 0..<500 {
                        let event = try await store.append(draft(task * 1000 + index, session: "s-\(task)"))
                        #expect(event.seq > last)  // one task's appends land in its order
                        last = event.seq
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = try await store.events(after: 0, limit: 10_000)
        #expect(events.map(\.seq) == Array(1...4000))
        #expect(Set(events.map(\.id)).count == 4000)
        let sizes = store.batchSizes.withLock { $0 }
        #expect(sizes.reduce(0, +) == 4000)
        #expect(sizes.count < 4000 / 2, "group commit should batch: \(sizes.count) transactions")
        #expect((sizes.max() ?? 0) > 1)
        let report = try await AuditVerifier.verify(store: store, publicKey: key.publicKey)
        #expect(report.ok, "\(report.message)")
        #expect(report.eventsChecked == 4000)
        await store.close()
    }

    @Test func reopenContinuesTheChain() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("audit.db")
        var store = try openStore(path, key: key)
        for index in 0..<3 { _ = try await store.append(draft(index)) }
        let third = try await store.lastEvent()
        await store.close()
        store = try openStore(path, key: key)
        let fourth = try await store.append(draft(3))
        #expect(fourth.seq == 4)
        #expect(fourth.prevHash == third?.hash)
        #expect(try await AuditVerifier.verify(store: store, publicKey: key.publicKey).ok)
        await store.close()
    }

    @Test func openingAStoreWhoseLastEventIsBadWarns() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("audit.db")
        var store = try openStore(path, key: key)
        for index in 0..<3 { _ = try await store.append(draft(index)) }
        await store.close()
        try tamper(path) { db in try db.execute(sql: "UPDATE events SET canonical = replace(canonical, 'hello', 'jello') WHERE seq = 3") }
        let label = "warn-\(UUID())"
        store = try openStore(path, key: key, label: label)
        #expect(RecordingLogHandler.messages.withLock { $0.contains { $0.hasPrefix("[\(label)] warning") } })
        let fourth = try await store.append(draft(4))
        #expect(fourth.seq == 4)
        let report = try await AuditVerifier.verify(store: store, publicKey: key.publicKey)
        #expect(report.problem == .changed && report.firstBadSeq == 3)
        await store.close()
    }

    @Test func checkpointsEveryNEventsAndOnDemand() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key, options: quietOptions(checkpointEvery: 10))
        for index in 0..<25 { _ = try await store.append(draft(index)) }
        let checkpoints = try await store.events(kind: .checkpoint)
        #expect(checkpoints.map(\.seq) == [11, 22])
        let forced = try await store.checkpoint()
        #expect(forced.seq == 28)
        #expect(forced.payload["covers_seq"] == .int(27))
        let twentySeven = try await store.events(seqs: 27...27).first
        #expect(forced.payload["covers_hash"]?.stringValue == twentySeven?.hash)
        #expect(forced.payload["key_id"]?.stringValue == key.keyID)
        #expect(AuditSignedPayload.isValid(forced.payload, key: key.publicKey))
        let report = try await AuditVerifier.verify(store: store, publicKey: key.publicKey)
        #expect(report.ok && report.checkpointsChecked == 3 && report.lastSignedSeq == 27)
        await store.close()
    }

    @Test func checkpointsOnATimerWhenEventsArrived() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key, options: quietOptions(interval: 0.2))
        try await Task.sleep(for: .milliseconds(450))
        #expect(try await store.lastEvent() == nil)  // nothing new: no checkpoint
        _ = try await store.append(draft(1))
        try await Task.sleep(for: .milliseconds(600))
        let last = try await store.lastEvent()
        #expect(last?.kind == .checkpoint)
        #expect(last?.payload["covers_seq"] == .int(1))
        await store.close()
    }

    @Test func cursorsAndNotifications() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        #expect(try await store.cursor(for: "siem") == 0)
        try await store.setCursor(42, for: "siem")
        try await store.setCursor(43, for: "siem")
        #expect(try await store.cursor(for: "siem") == 43)
        var iterator = store.newEvents().makeAsyncIterator()
        #expect(await iterator.next() == 0)
        store.submit(draft(1))
        #expect(await iterator.next() == 1)
        await store.close()
        #expect(await iterator.next() == nil)
        await #expect(throws: AuditError.self) { try await store.append(draft(2)) }
    }

    @Test func queriesBySessionTimeAndUser() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let alice = "unix:alice(1001)@build-7"
        _ = try await store.append(AuditEventDraft(
            kind: .sessionOpen, time: t0, session: "s-a", principal: alice,
            payload: ["principal": ["subject": .string(alice), "email": "alice@example.com"], "process": ["executable": "/usr/bin/curl"], "sni": "api.openai.com", "provider": "openai"]))
        _ = try await store.append(AuditEventDraft(kind: .exchangeRequest, time: t0 + 1, session: "s-a", exchange: "x-1", principal: alice))
        _ = try await store.append(AuditEventDraft(kind: .exchangeRequest, time: t0 + 2, session: "s-a", exchange: "x-2", principal: alice))
        _ = try await store.append(AuditEventDraft(
            kind: .sessionOpen, time: t0 + 3, session: "s-b", principal: "oidc:bob",
            payload: ["principal": ["subject": "oidc:bob", "email": "bob@example.com"], "sni": "api.anthropic.com", "provider": "anthropic"]))
        _ = try await store.append(AuditEventDraft(
            kind: .sessionClose, time: t0 + 4, session: "s-a", principal: alice,
            payload: ["bytes_in": 100, "bytes_out": 2000, "duration_ms": 4000, "error": nil]))

        #expect(try await store.events(session: "s-a").count == 4)
        #expect(try await store.events(from: t0 + 1, to: t0 + 2).map(\.exchange) == ["x-1", "x-2"])
        let all = try await store.sessions(user: nil, since: nil, limit: 10)
        #expect(all.map(\.session) == ["s-b", "s-a"])
        let a = try #require(all.last)
        #expect(a.closed == t0 + 4 && a.exchanges == 2 && a.bytesIn == 100 && a.bytesOut == 2000)
        #expect(a.executable == "/usr/bin/curl" && a.sni == "api.openai.com" && a.provider == "openai" && a.principal == alice)
        for user in ["alice", "alice@example.com", alice] {
            #expect(try await store.sessions(user: user, since: nil, limit: 10).map(\.session) == ["s-a"], "\(user)")
        }
        #expect(try await store.sessions(user: "ali", since: nil, limit: 10).isEmpty)
        #expect(try await store.sessions(user: "bob@example.com", since: nil, limit: 10).map(\.session) == ["s-b"])
        #expect(try await store.sessions(user: nil, since: t0 + 3, limit: 10).map(\.session) == ["s-b"])
        await store.close()
    }

    @Test func theDatabaseRefusesUpdatesAndStrayDeletes() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("audit.db")
        let store = try openStore(path, key: key)
        _ = try await store.append(draft(1))
        await store.close()
        let queue = try DatabaseQueue(path: path)
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE events SET kind = 'x'") } }
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "DELETE FROM events") } }
        try queue.close()
    }

    @Test func openErrorSaysWhatToDo() {
        #expect {
            try openStore("/nonexistent-dir/sub/audit.db", key: key)
        } throws: { error in
            guard let error = error as? AuditError else { return false }
            return error.code == .cannotOpen && error.message.contains("/nonexistent-dir/sub/audit.db")
        }
    }
}
