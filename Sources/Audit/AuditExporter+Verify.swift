public import Foundation

extension AuditExporter {
    /// Checks an evidence package.
    ///
    /// 1. Every file's SHA-256 equals its `manifest.json` entry; a missing, extra or edited file
    ///    fails with `.manifestMismatch` naming it.
    /// 2. The key: `public-key.pem` must equal `pinnedPublicKey` when given (`.untrustedKey`).
    ///    Whoever can edit the package can also replace `public-key.pem` and re-sign, so an
    ///    auditor should pin the key received out of band; without a pin only internal
    ///    consistency is proven.
    /// 3. The chain segment: hashes, links, seqs and signatures as ``AuditVerifier`` checks them.
    ///    The first event's `prev_hash` is accepted as the segment's anchor: the signed checkpoint
    ///    at the end commits to it through the chain. The last event must be that checkpoint
    ///    (`.unsigned` otherwise). Policy snapshots before the segment must match their own hash.
    /// - Parameters:
    ///   - directory: The package.
    ///   - pinnedPublicKey: The key the auditor trusts.
    /// - Returns: The report.
    /// - Throws: ``AuditError`` with code `.export` when the directory cannot be read.
    public static func verifyExport(at directory: URL, pinnedPublicKey: AuditPublicKey?) throws(AuditError)
        -> AuditVerificationReport
    {
        func fileFailure(_ file: String, _ message: String, _ problem: AuditVerificationProblem = .manifestMismatch)
            -> AuditVerificationReport
        {
            AuditVerificationReport(
                failure: AuditVerificationFailure(seq: nil, problem: problem, file: file, message: message),
                eventsChecked: 0, checkpointsChecked: 0, firstSeq: nil, lastSeq: nil, lastSignedSeq: nil)
        }
        let fileManager = FileManager.default
        let present: [String]
        do {
            present = try fileManager.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw AuditError(.export, "cannot read the evidence package \(directory.path): \(error); check the path")
        }
        func read(_ name: String) -> Data? { fileManager.contents(atPath: directory.appendingPathComponent(name).path) }

        // 1. Manifest.
        guard let manifestData = read(manifestFile), let manifest = try? AuditValue(parsingJSON: manifestData),
            let listed = manifest["files"]?.objectValue, let firstSeq = manifest["first_seq"]?.intValue,
            let lastSeq = manifest["last_seq"]?.intValue
        else { return fileFailure(manifestFile, "manifest.json is missing or unreadable: the package is incomplete") }
        for name in present.sorted() where name != manifestFile && listed[name] == nil {
            return fileFailure(name, "\(name) is not listed in manifest.json: a file was added")
        }
        for (name, digest) in listed.sorted(by: { $0.key < $1.key }) {
            guard let data = read(name) else { return fileFailure(name, "\(name) is listed in manifest.json but missing") }
            if AuditHash.sha256(data) != digest.stringValue {
                return fileFailure(name, "\(name) does not match its SHA-256 in manifest.json: it was modified")
            }
        }

        // 2. Key.
        guard let pemData = read(publicKeyFile), let packaged = try? AuditPublicKey(pem: String(decoding: pemData, as: UTF8.self))
        else { return fileFailure(publicKeyFile, "public-key.pem is missing or not an Ed25519 public key") }
        if let pinnedPublicKey, pinnedPublicKey != packaged {
            return fileFailure(
                publicKeyFile,
                "public-key.pem (key \(packaged.keyID)) is not the pinned key \(pinnedPublicKey.keyID): the package was signed by someone else",
                .untrustedKey)
        }
        let key = pinnedPublicKey ?? packaged

        // 3. Events.
        guard let eventsData = read(eventsFile) else { return fileFailure(eventsFile, "events.jsonl is missing") }
        var prelude: [AuditEvent] = []
        var segment: [AuditEvent] = []
        for (index, line) in String(decoding: eventsData, as: UTF8.self).split(separator: "\n").enumerated() {
            let event: AuditEvent
            do throws(AuditError) {
                event = try AuditEvent(jsonLine: String(line))
            } catch {
                return fileFailure(eventsFile, "events.jsonl line \(index + 1) is not an audit event: \(error.message)", .changed)
            }
            if event.seq < firstSeq { prelude.append(event) } else { segment.append(event) }
        }
        for event in prelude {
            if event.kind != .policySnapshot || AuditHash.chain(prevHash: event.prevHash, canonical: event.canonical) != event.hash {
                var report = fileFailure(eventsFile, "seq \(event.seq) before the segment is not an intact policy snapshot: it was changed or added", .changed)
                report.failure?.seq = event.seq
                return report
            }
        }
        var report = AuditVerifier.verify(events: segment, publicKey: key, segment: true)
        if report.ok, report.firstSeq != firstSeq || report.lastSeq != lastSeq {
            report.failure = AuditVerificationFailure(
                seq: report.firstSeq, problem: .manifestMismatch, file: manifestFile,
                message: "manifest.json says seq \(firstSeq)…\(lastSeq) but events.jsonl holds \(report.firstSeq ?? 0)…\(report.lastSeq ?? 0)")
        }
        if var failure = report.failure, failure.file == nil {
            failure.file = eventsFile
            report.failure = failure
        }
        report.eventsChecked += prelude.count
        return report
    }
}
