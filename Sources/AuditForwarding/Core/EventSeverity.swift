internal import Foundation

/// How loud an event is: `notice` for `audit.*` kinds (checkpoints, prunes, tampering) and denied
/// policy decisions, `informational` for everything else.
enum EventSeverity: Sendable, Hashable {
    case informational, notice

    /// RFC 5424 severity: 6 informational, 5 notice.
    var syslogSeverity: Int { self == .notice ? 5 : 6 }
    /// OpenTelemetry severity number: INFO (9), INFO2 (10) for notice, as OTel maps syslog.
    var otelSeverityNumber: Int { self == .notice ? 10 : 9 }
    /// OpenTelemetry severity text.
    var otelSeverityText: String { self == .notice ? "NOTICE" : "INFO" }

    /// Keys under which a policy decision event may carry its verdict.
    private static let verdictKeys: Set<String> = ["decision", "verdict", "outcome", "action", "result", "effect"]

    init(of event: ForwardedEvent) {
        if event.kind.hasPrefix("audit.") {
            self = .notice
        } else if event.kind == "policy.decision", Self.isDeny(event.jsonLine) {
            self = .notice
        } else {
            self = .informational
        }
    }

    /// Whether the event's JSON has a verdict key (at any depth) whose value is "deny".
    private static func isDeny(_ jsonLine: String) -> Bool {
        guard jsonLine.contains("deny"), let object = try? JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) else {
            return false
        }
        return containsDeny(object, depth: 0)
    }

    private static func containsDeny(_ value: Any, depth: Int) -> Bool {
        guard depth < 4 else { return false }
        if let dictionary = value as? [String: Any] {
            for (key, value) in dictionary {
                if verdictKeys.contains(key), let text = value as? String, text.lowercased() == "deny" { return true }
                if containsDeny(value, depth: depth + 1) { return true }
            }
        }
        return false
    }
}
