/// Builds the derived tables of an export from the exported events.
///
/// Payload keys read: `session.open` {principal{subject,email}, process{executable}, sni,
/// provider}; `session.close` {bytes_in, bytes_out, error, exchanges}; `exchange.request`
/// {method, path, provider, model, body_bytes, findings}; `exchange.response` {status,
/// body_bytes, findings}; `policy.decision` {outcome}; a finding is {rule, entity, action,
/// direction, count, offsets} (see docs/audit-events.md). `bytes` is read where `body_bytes` is absent.
enum AuditExportTables {
    static func make(_ events: [AuditEvent]) -> [AuditExportTable] {
        let time = { (event: AuditEvent) in AuditValue.string(AuditTimestamp.format(event.time)) }
        var sessions = AuditExportTable(
            name: "sessions",
            columns: ["session", "opened", "closed", "principal", "executable", "sni", "provider", "exchanges", "bytes_in", "bytes_out", "error"])
        var exchanges = AuditExportTable(
            name: "exchanges",
            columns: ["exchange", "time", "session", "principal", "method", "path", "provider", "model", "decision", "status", "request_bytes", "response_bytes", "findings"])
        var approvals = AuditExportTable(name: "approvals", columns: ["seq", "time", "kind", "session", "exchange", "principal", "payload"])
        var grants = AuditExportTable(name: "grants", columns: ["seq", "time", "kind", "session", "exchange", "principal", "payload"])
        var findings = AuditExportTable(
            name: "findings", columns: ["exchange", "session", "time", "direction", "rule", "entity", "action", "count", "offsets"])
        var snapshots = AuditExportTable(name: "policy_snapshots", columns: ["seq", "time", "policy_hash", "payload"])
        var checkpoints = AuditExportTable(
            name: "checkpoints", columns: ["seq", "time", "kind", "covers_seq", "covers_hash", "key_id", "signed_at", "signature"])

        let closes = Dictionary(
            events.filter { $0.kind == .sessionClose && $0.session != nil }.map { ($0.session!, $0) },
            uniquingKeysWith: { _, last in last })
        let responses = Dictionary(
            events.filter { $0.kind == .exchangeResponse && $0.exchange != nil }.map { ($0.exchange!, $0) },
            uniquingKeysWith: { _, last in last })
        let decisions = Dictionary(
            events.filter { $0.kind == .policyDecision && $0.exchange != nil }.map { ($0.exchange!, $0) },
            uniquingKeysWith: { _, last in last })
        let bytes = { (payload: AuditValue?) in payload?["body_bytes"] ?? payload?["bytes"] ?? .null }
        var requestCounts: [String: Int] = [:]
        for event in events where event.kind == .exchangeRequest {
            requestCounts[event.session ?? "", default: 0] += 1
        }

        for event in events {
            let payload = event.payload
            let common: [AuditValue] = [
                .int(event.seq), time(event), .string(event.kind.rawValue), .optional(event.session),
                .optional(event.exchange), .optional(event.principal), payload,
            ]
            switch event.kind {
            case .sessionOpen:
                let summary = AuditSessionSummary(
                    open: event, close: event.session.flatMap { closes[$0] },
                    countedExchanges: requestCounts[event.session ?? ""] ?? 0)
                sessions.rows.append([
                    .optional(event.session), time(event), summary.closed.map { .string(AuditTimestamp.format($0)) } ?? .null,
                    .optional(summary.principal), .optional(summary.executable), .optional(summary.sni),
                    .optional(summary.provider), .int(Int64(summary.exchanges)), summary.bytesIn.map(AuditValue.int) ?? .null,
                    summary.bytesOut.map(AuditValue.int) ?? .null, .optional(summary.error),
                ])
            case .exchangeRequest:
                let response = event.exchange.flatMap { responses[$0] }
                let found = (payload["findings"]?.arrayValue?.count ?? 0) + (response?.payload["findings"]?.arrayValue?.count ?? 0)
                exchanges.rows.append([
                    .optional(event.exchange), time(event), .optional(event.session), .optional(event.principal),
                    payload["method"] ?? .null, payload["path"] ?? .null, payload["provider"] ?? .null,
                    payload["model"] ?? .null, event.exchange.flatMap { decisions[$0] }?.payload["outcome"] ?? .null,
                    response?.payload["status"] ?? .null, bytes(payload), bytes(response?.payload), .int(Int64(found)),
                ])
            case .approvalRequested, .approvalApproved, .approvalDenied, .approvalExpired:
                approvals.rows.append(common)
            case .grantCreated, .grantExpired, .grantRevoked:
                grants.rows.append(common)
            case .policySnapshot:
                snapshots.rows.append([.int(event.seq), time(event), .optional(event.policyHash), payload])
            case .checkpoint, .tombstone:
                let isCheckpoint = event.kind == .checkpoint
                checkpoints.rows.append([
                    .int(event.seq), time(event), .string(event.kind.rawValue),
                    (isCheckpoint ? payload["covers_seq"] : payload["pruned_through_seq"]) ?? .null,
                    (isCheckpoint ? payload["covers_hash"] : payload["anchor_hash"]) ?? .null,
                    payload["key_id"] ?? .null, payload["signed_at"] ?? .null, payload["signature"] ?? .null,
                ])
            default:
                break
            }
            if event.kind == .exchangeRequest || event.kind == .exchangeResponse {
                let direction: AuditValue = event.kind == .exchangeRequest ? "request" : "response"
                for finding in payload["findings"]?.arrayValue ?? [] {
                    findings.rows.append([
                        .optional(event.exchange), .optional(event.session), time(event), finding["direction"] ?? direction,
                        finding["rule"] ?? .null, finding["entity"] ?? .null, finding["action"] ?? .null,
                        finding["count"] ?? .null, finding["offsets"] ?? .null,
                    ])
                }
            }
        }
        return [sessions, exchanges, approvals, grants, findings, snapshots, checkpoints]
    }
}
