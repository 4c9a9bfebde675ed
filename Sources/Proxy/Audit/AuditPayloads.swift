import Audit
import Foundation
import Identity
import Masking

/// The payloads of the events the proxy writes (docs/audit-events.md describes each field).
/// Every text in them is masked already or is metadata; no body byte arrives here unmasked.
enum AuditPayloads {
    static func principal(_ principal: Principal?) -> AuditValue {
        guard let principal else { return .null }
        return .object([
            "subject": .string(principal.subject), "email": .text(principal.email), "name": .text(principal.name),
            "groups": .strings(principal.groups), "issuer": .string(principal.issuer),
            "source": .string(principal.source.rawValue), "attributes": .dictionary(principal.attributes),
        ])
    }

    static func process(_ process: ProcessSummary?) -> AuditValue {
        guard let process else { return .null }
        return .object([
            "pid": .integer(process.pid), "executable": .text(process.executable), "cgroup": .text(process.cgroup),
            "container": .text(process.container), "systemd_unit": .text(process.systemdUnit),
            "ci_job": .text(process.ciJob),
        ])
    }

    /// `session.open`: who, from which process, to where.
    static func sessionOpen(_ connection: InterceptedConnection, mode: String) -> AuditValue {
        let record = connection.makeRecord(kind: .exchange)
        return .object([
            "mode": .string(mode),
            "principal": principal(connection.effectivePrincipal),
            "uid": .integer(record.uid),
            "process": process(record.process),
            "attribution_unknown": .strings(record.attributionUnknown),
            "peer": .text(record.clientAddress),
            "original_dst": .text(record.originalDestination),
            "sni": .text(record.sni),
            "alpn": .text(record.alpn),
            "provider": .text(record.provider),
        ])
    }

    /// `session.close`: totals and how it ended.
    static func sessionClose(_ ledger: SessionLedger, durationMilliseconds: Double) -> AuditValue {
        .object([
            "bytes_in": .integer(ledger.bytesIn), "bytes_out": .integer(ledger.bytesOut),
            "exchanges": .integer(ledger.exchanges), "duration_ms": .milliseconds(durationMilliseconds),
            "error": .text(ledger.error),
        ])
    }

    static func findings(_ entries: [FindingTally.Entry]) -> AuditValue {
        .array(entries.map { entry in
            .object([
                "rule": .string(entry.rule), "entity": .string(entry.entity), "action": .string(entry.action),
                "direction": .string(entry.direction), "count": .integer(entry.count),
                "offsets": .array(entry.offsets.map { .int(Int64($0)) }),
            ])
        })
    }

    static func body(_ capture: BodyCapture?, streamed: Bool) -> [String: AuditValue] {
        guard let capture else { return ["body": .null, "body_recorded": .bool(false)] }
        var fields: [String: AuditValue] = [
            "body_recorded": .bool(true), "body_truncated": .bool(capture.isTruncated),
            "masked_bytes": .integer(capture.totalBytes),
        ]
        if streamed {
            fields["body"] = .null
            fields["chunks"] = .array(capture.chunks.map {
                .object(["t_ms": .milliseconds($0.offsetMilliseconds), "data": .string($0.text)])
            })
        } else {
            fields["body"] = .string(capture.text)
        }
        return fields
    }
}

extension InterceptedConnection {
    /// The verified principal, or the unix fallback of the attributed uid.
    var effectivePrincipal: Principal? {
        if let principal { return principal }
        guard let uid = attribution?.uid else { return nil }
        return Principal.unix(uid: uid, userName: attribution?.userName, host: ProcessInfo.processInfo.hostName)
    }
}
