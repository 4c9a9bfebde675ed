import Audit

/// Short ways to build event payloads on the event loop without a JSON encoder round trip.
extension AuditValue {
    static func text(_ value: String?) -> AuditValue { value.map { .string($0) } ?? .null }
    static func integer(_ value: (some BinaryInteger)?) -> AuditValue { value.map { .int(Int64($0)) } ?? .null }
    /// Milliseconds rounded to microseconds.
    static func milliseconds(_ value: Double?) -> AuditValue {
        value.map { .double(($0 * 1000).rounded() / 1000) } ?? .null
    }
    static func strings(_ values: [String]) -> AuditValue { .array(values.map { .string($0) }) }
    static func dictionary(_ values: [String: String]) -> AuditValue { .object(values.mapValues { .string($0) }) }
}
