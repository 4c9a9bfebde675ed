import Audit
import Foundation

extension ExchangeRecord {
    /// The record as one line of `exchanges.jsonl` (without the newline): the document
    /// `JSONEncoder` with sorted keys writes for this type, written by the audit log's canonical
    /// writer instead, which costs a fraction of it on the data path. Top-level keys are always
    /// present (null when unknown); in the nested principal and process, unknown fields are left out.
    ///
    /// - Throws: ``AuditError`` only for a non-finite duration, which no clock produces.
    func jsonLine() throws(AuditError) -> [UInt8] {
        let value: AuditValue = .object([
            "time": .string(time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "kind": .string(kind.rawValue),
            "conn_id": .string(connectionID),
            "uid": .integer(uid),
            "principal": principal.map(Self.value(of:)) ?? .null,
            "process": process.map(Self.value(of:)) ?? .null,
            "attribution_unknown": .strings(attributionUnknown),
            "client": .text(clientAddress),
            "original_dst": .text(originalDestination),
            "sni": .text(sni),
            "provider": .text(provider),
            "alpn": .text(alpn),
            "method": .text(method),
            "path": .text(path),
            "status": .integer(status),
            "request_bytes": .integer(requestBytes),
            "response_bytes": .integer(responseBytes),
            "duration_ms": .milliseconds(durationMilliseconds),
            "ttfb_ms": .milliseconds(timeToFirstByteMilliseconds),
            "error": .text(error),
            "findings": AuditPayloads.findings(findings),
        ])
        return try value.canonicalBytes()
    }

    private static func value(of principal: PrincipalSummary) -> AuditValue {
        var members: [String: AuditValue] = [
            "subject": .string(principal.subject), "groups": .strings(principal.groups),
            "issuer": .string(principal.issuer), "source": .string(principal.source),
            "attributes": .dictionary(principal.attributes),
        ]
        if let email = principal.email { members["email"] = .string(email) }
        return .object(members)
    }

    private static func value(of process: ProcessSummary) -> AuditValue {
        var members: [String: AuditValue] = [:]
        if let pid = process.pid { members["pid"] = .int(Int64(pid)) }
        if let executable = process.executable { members["executable"] = .string(executable) }
        if let cgroup = process.cgroup { members["cgroup"] = .string(cgroup) }
        if let container = process.container { members["container"] = .string(container) }
        if let unit = process.systemdUnit { members["systemd_unit"] = .string(unit) }
        if let job = process.ciJob { members["ci_job"] = .string(job) }
        return .object(members)
    }
}
