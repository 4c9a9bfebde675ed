import Foundation
import GRDB
import Testing

@testable import Audit

/// Each case edits a real store file with raw SQL, as someone with write access to it could,
/// and checks that verify names the right problem at the right seq.
///
/// The fixture: drafts 1–10, checkpoint 11, drafts 12–21, checkpoint 22, drafts 23–27,
/// checkpoint 28 (forced at the end).
@Suite struct TamperTests {
    let key = AuditSigningKey.generate()

    struct Fixture {
        let dir: TempDirectory
        let path: String
        let lastCheckpointLine: String
    }

    func makeFixture() async throws -> Fixture {
        let dir = try TempDirectory()
        let path = dir.path("audit.db")
        let store = try openStore(path, key: key, options: quietOptions(checkpointEvery: 10))
        for index in 1...25 { _ = try await store.append(draft(index)) }
        let checkpoint = try await store.checkpoint()
        #expect(checkpoint.seq == 28)
        #expect(try await AuditVerifier.verify(store: store, publicKey: key.publicKey).ok)
        await store.close()
        return Fixture(dir: dir, path: path, lastCheckpointLine: checkpoint.jsonLine)
    }

    func verify(_ fixture: Fixture, claim: AuditCheckpointClaim? = nil) async throws -> AuditVerificationReport {
        let store = try openStore(fixture.path, key: key)
        defer { Task { await store.close() } }
        let report = try await AuditVerifier.verify(store: store, publicKey: key.publicKey, externalCheckpoint: claim)
        #expect(!report.message.isEmpty)
        return report
    }

    @Test func untouchedStoreVerifiesAgainstItsLastForwardedCheckpoint() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        let claim = try AuditCheckpointClaim(jsonLine: fixture.lastCheckpointLine)
        #expect(claim.coversSeq == 28)
        let report = try await verify(fixture, claim: claim)
        #expect(report.ok, "\(report.message)")
        #expect(report.eventsChecked == 28 && report.lastSeq == 28)
    }

    @Test func oneByteChangedInABody() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in
            try db.execute(sql: "UPDATE events SET canonical = replace(canonical, 'hello 5 ', 'hellO 5 ') WHERE seq = 5")
            #expect(db.changesCount == 1)
        }
        let report = try await verify(fixture)
        #expect(report.problem == .changed && report.firstBadSeq == 5, "\(report.message)")
        #expect(report.message.contains("seq 5"))
    }

    @Test func columnChangedButTextKept() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in try db.execute(sql: "UPDATE events SET principal = 'unix:mallory(1002)@build-7' WHERE seq = 8") }
        let report = try await verify(fixture)
        #expect(report.problem == .changed && report.firstBadSeq == 8, "\(report.message)")
        #expect(report.message.contains("principal"))
    }

    /// The edited event matches its new hash, so the break shows at the link to seq 6. We name
    /// seq 5, the edited one: seq 6's prev_hash is inside seq 6's own hashed text (and committed
    /// to by every later event and checkpoint), so it is the trustworthy record of what seq 5 was.
    @Test func changedWithHashRecomputed() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in
            let canonical = try String.fetchOne(db, sql: "SELECT canonical FROM events WHERE seq = 5")!
            let prev = try String.fetchOne(db, sql: "SELECT prev_hash FROM events WHERE seq = 5")!
            let forged = canonical.replacingOccurrences(of: "hello 5 ", with: "hellO 5 ")
            try db.execute(
                sql: "UPDATE events SET canonical = ?, hash = ? WHERE seq = 5",
                arguments: [forged, AuditHash.chain(prevHash: prev, canonical: forged)])
        }
        let report = try await verify(fixture)
        #expect(report.problem == .chainBroken && report.firstBadSeq == 5, "\(report.message)")
    }

    @Test func eventDeleted() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in try db.execute(sql: "DELETE FROM events WHERE seq = 7") }
        let report = try await verify(fixture)
        #expect(report.problem == .removed && report.firstBadSeq == 7 && report.failure?.missing == 7...7, "\(report.message)")
    }

    @Test func twoEventsSwapped() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in
            let columns = "id, time, kind, session, exchange, principal, policy_hash, canonical, prev_hash, hash"
            let five = try Row.fetchOne(db, sql: "SELECT \(columns) FROM events WHERE seq = 5")!
            let six = try Row.fetchOne(db, sql: "SELECT \(columns) FROM events WHERE seq = 6")!
            try db.execute(sql: "DELETE FROM events WHERE seq IN (5, 6)")
            try db.execute(sql: "INSERT INTO events (seq, \(columns)) VALUES (5, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: StatementArguments(six.databaseValues))
            try db.execute(sql: "INSERT INTO events (seq, \(columns)) VALUES (6, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: StatementArguments(five.databaseValues))
        }
        let report = try await verify(fixture)
        #expect(report.problem == .reordered && report.firstBadSeq == 5, "\(report.message)")
    }

    @Test func tailTruncatedAgainstTheSIEMsLastCheckpoint() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in try db.execute(sql: "DELETE FROM events WHERE seq > 24") }
        #expect(try await verify(fixture).ok)  // without the external claim a cut tail is invisible
        let claim = try AuditCheckpointClaim(jsonLine: fixture.lastCheckpointLine)
        let report = try await verify(fixture, claim: claim)
        #expect(report.problem == .truncated && report.firstBadSeq == 25 && report.failure?.missing == 25...28, "\(report.message)")
    }

    @Test func checkpointSignatureForgedAndChainRecomputed() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in
            var value = try AuditValue(parsingJSON: try String.fetchOne(db, sql: "SELECT canonical FROM events WHERE seq = 11")!)
            let signature = value["payload"]!["signature"]!.stringValue!
            let flipped = (signature.first == "A" ? "B" : "A") + signature.dropFirst()
            value["payload"]!["signature"] = .string(flipped)
            try db.execute(sql: "UPDATE events SET canonical = ? WHERE seq = 11", arguments: [try value.canonicalJSON()])
            try rechain(db, from: 11)
        }
        let report = try await verify(fixture)
        #expect(report.problem == .badSignature && report.firstBadSeq == 11, "\(report.message)")
    }

    @Test func contentRewrittenAndWholeChainRecomputed() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in
            try db.execute(sql: "UPDATE events SET canonical = replace(canonical, 'hello 15 ', 'hellO 15 ') WHERE seq = 16")
            try rechain(db, from: 16)
        }
        // Links and hashes all hold; the checkpoint at 22 signed the old hash of 21, and the
        // checkpoint at 11 vouches for everything through 10, so the rewrite lies in 11…21.
        let report = try await verify(fixture)
        #expect(report.problem == .changed && report.firstBadSeq == 11, "\(report.message)")
    }

    @Test func prefixDeletedWithoutTombstone() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        try tamper(fixture.path) { db in try db.execute(sql: "DELETE FROM events WHERE seq <= 5") }
        let report = try await verify(fixture)
        #expect(report.problem == .unanchored && report.firstBadSeq == 1 && report.failure?.missing == 1...5, "\(report.message)")
    }

    @Test func reorderedLinesInASequence() async throws {
        let fixture = try await makeFixture()
        defer { fixture.dir.cleanup() }
        let store = try openStore(fixture.path, key: key)
        var events = try await store.events(after: 0, limit: 100)
        await store.close()
        events.swapAt(4, 5)
        let report = AuditVerifier.verify(events: events, publicKey: key.publicKey)
        #expect(report.problem == .reordered && report.firstBadSeq == 5, "\(report.message)")
        let wrongKey = AuditVerifier.verify(events: try await reopenEvents(fixture), publicKey: AuditSigningKey.generate().publicKey)
        #expect(wrongKey.problem == .badSignature && wrongKey.firstBadSeq == 11)
    }

    func reopenEvents(_ fixture: Fixture) async throws -> [AuditEvent] {
        let store = try openStore(fixture.path, key: key)
        let events = try await store.events(after: 0, limit: 100)
        await store.close()
        return events
    }
}
