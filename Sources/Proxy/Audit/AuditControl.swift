import Audit
public import Foundation
public import Identity

extension ControlRequest.Operation {
    /// Prune events before `before` (RFC 3339), leaving a signed tombstone.
    public static let auditPrune = Self(rawValue: "audit.prune")
    /// Write a signed checkpoint now (before an export, say).
    public static let auditCheckpoint = Self(rawValue: "audit.checkpoint")
}

extension AuditTrail {
    /// The control operations that write to the store. They run in the daemon, the store's only
    /// writer, so a CLI never appends behind the daemon's back. Root and the daemon's own user only.
    public func controlOperations() -> [ControlRequest.Operation: ControlSocketServer.OperationHandler] {
        [
            .auditPrune: { [self] request, caller in
                guard caller.uid == 0 || caller.uid == getuid() else { return Self.notAllowed }
                guard let text = request.arguments?["before"], let cutoff = AuditDates.parse(text) else {
                    return .refusal(code: "malformed", message: "--before takes a date: 2025-01-31 or 2025-01-31T00:00:00Z")
                }
                do {
                    let report = try await store.prune(before: cutoff)
                    var result: [String: Any] = ["pruned": report.deleted]
                    if let seq = report.prunedThroughSeq { result["pruned_through_seq"] = seq }
                    if let seq = report.tombstone?.seq { result["tombstone_seq"] = seq }
                    return ControlResponse(ok: true, result: AuditDates.json(result))
                } catch {
                    return .refusal(code: "auditError", message: "\(error)")
                }
            },
            .auditCheckpoint: { [self] _, caller in
                guard caller.uid == 0 || caller.uid == getuid() else { return Self.notAllowed }
                do {
                    let event = try await store.checkpoint()
                    return ControlResponse(ok: true, result: AuditDates.json(["seq": event.seq, "hash": event.hash]))
                } catch {
                    return .refusal(code: "auditError", message: "\(error)")
                }
            },
        ]
    }

    private static let notAllowed = ControlResponse.refusal(
        code: "notAllowed", message: "only root or the daemon's user may write to the audit log; run with sudo -u chaperone")
}

/// Dates as the audit commands take and print them.
public enum AuditDates {
    /// `2025-01-31`, `2025-01-31T10:00:00Z` or with fractional seconds or an offset.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return date }
        return nil
    }

    static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
