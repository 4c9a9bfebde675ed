import Foundation
import Testing

@testable import Audit

@Suite struct PruneTests {
    let key = AuditSigningKey.generate()
    let t0 = Date(timeIntervalSince1970: 1_577_836_800)  // 2020-01-01T00:00:00Z

    func minute(_ n: Int) -> Date { t0 + Double(n) * 60 }

    @Test func pruneDeletesThePrefixAndLeavesASignedTombstone() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        for index in 0..<20 { _ = try await store.append(draft(index, time: minute(index))) }

        let nothing = try await store.prune(before: minute(-1))
        #expect(nothing.deleted == 0 && nothing.tombstone == nil)
        #expect(try await store.lastEvent()?.seq == 20)

        let first = try await store.prune(before: minute(10))
        #expect(first.deleted == 10 && first.prunedThroughSeq == 10)
        let tombstone = try #require(first.tombstone)
        #expect(tombstone.seq == 21 && tombstone.kind == .tombstone)
        #expect(tombstone.payload["pruned_through_seq"] == .int(10))
        #expect(tombstone.payload["count"] == .int(10))
        #expect(tombstone.payload["before"] == "2020-01-01T00:10:00.000Z")
        #expect(AuditSignedPayload.isValid(tombstone.payload, key: key.publicKey))
        let remaining = try await store.events(after: 0, limit: 100)
        #expect(remaining.first?.seq == 11)
        #expect(tombstone.payload["anchor_hash"]?.stringValue == remaining.first?.prevHash)
        var report = try await AuditVerifier.verify(store: store, publicKey: key.publicKey)
        #expect(report.ok, "\(report.message)")

        let second = try await store.prune(before: minute(15))
        #expect(second.deleted == 5 && second.tombstone?.seq == 22)
        report = try await AuditVerifier.verify(store: store, publicKey: key.publicKey)
        #expect(report.ok && report.firstSeq == 16, "\(report.message)")
        _ = try await store.append(draft(99))
        #expect(try await AuditVerifier.verify(store: store, publicKey: key.publicKey).ok)
        await store.close()
    }

    @Test func pruneNeverRemovesTheLastEvent() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let store = try openStore(dir.path("audit.db"), key: key)
        for index in 0..<5 { _ = try await store.append(draft(index, time: minute(index))) }
        let report = try await store.prune(before: Date.distantFuture)
        #expect(report.deleted == 4 && report.prunedThroughSeq == 4)
        #expect(try await store.events(after: 0, limit: 10).map(\.seq) == [5, 6])
        #expect(try await AuditVerifier.verify(store: store, publicKey: key.publicKey).ok)
        await store.close()
    }

    @Test func aForgedTombstoneDoesNotAnchor() async throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("audit.db")
        let store = try openStore(path, key: key)
        for index in 0..<10 { _ = try await store.append(draft(index, time: minute(index))) }
        _ = try await store.prune(before: minute(5))
        await store.close()
        let other = try openStore(path, key: key)
        let report = try await AuditVerifier.verify(store: other, publicKey: AuditSigningKey.generate().publicKey)
        #expect(report.problem == .unanchored && report.failure?.missing == 1...5, "\(report.message)")
        await other.close()
    }
}
