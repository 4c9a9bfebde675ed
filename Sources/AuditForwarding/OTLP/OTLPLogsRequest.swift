internal import Foundation

/// An OTLP `ExportLogsServiceRequest` in the protobuf JSON mapping (64-bit integers as strings).
///
/// One resource (`service.name` = chaperone, `host.name`), one scope (`chaperone.audit`), a log
/// record per event whose body is the event's JSON line, unchanged. Pure: no I/O.
struct OTLPLogsRequest: Encodable {
    var resourceLogs: [ResourceLogs]

    init(events: [ForwardedEvent], hostName: String, observedAt: Date = Date()) {
        let observed = Self.unixNanoString(observedAt)
        let records = events.map { event in
            let severity = EventSeverity(of: event)
            return LogRecord(
                timeUnixNano: Self.unixNanoString(event.time),
                observedTimeUnixNano: observed,
                severityNumber: severity.otelSeverityNumber,
                severityText: severity.otelSeverityText,
                eventName: event.kind,
                body: AnyValue(stringValue: event.jsonLine),
                attributes: [
                    KeyValue(key: "event.name", value: AnyValue(stringValue: event.kind)),
                    KeyValue(key: "chaperone.seq", value: AnyValue(intValue: String(event.seq))),
                    KeyValue(key: "chaperone.event_id", value: AnyValue(stringValue: event.id)),
                    KeyValue(key: "chaperone.kind", value: AnyValue(stringValue: event.kind)),
                ])
        }
        resourceLogs = [
            ResourceLogs(
                resource: Resource(attributes: [
                    KeyValue(key: "service.name", value: AnyValue(stringValue: "chaperone")),
                    KeyValue(key: "host.name", value: AnyValue(stringValue: hostName)),
                ]),
                scopeLogs: [ScopeLogs(scope: Scope(name: "chaperone.audit"), logRecords: records)])
        ]
    }

    /// The request body.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Nanoseconds since the epoch as a decimal string, exact to the microsecond.
    static func unixNanoString(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        return String(Int64(micros)) + "000"
    }

    struct ResourceLogs: Encodable {
        var resource: Resource
        var scopeLogs: [ScopeLogs]
    }

    struct Resource: Encodable {
        var attributes: [KeyValue]
    }

    struct ScopeLogs: Encodable {
        var scope: Scope
        var logRecords: [LogRecord]
    }

    struct Scope: Encodable {
        var name: String
    }

    struct LogRecord: Encodable {
        var timeUnixNano: String
        var observedTimeUnixNano: String
        var severityNumber: Int
        var severityText: String
        var eventName: String
        var body: AnyValue
        var attributes: [KeyValue]
    }

    struct KeyValue: Encodable {
        var key: String
        var value: AnyValue
    }

    /// Either a string or a 64-bit integer (encoded as a string, per the protobuf JSON mapping).
    struct AnyValue: Encodable {
        var stringValue: String?
        var intValue: String?
    }
}
