public import Audit
public import AuditForwarding
import Foundation
import Yams

/// The audit store as the SIEM forwarder reads it: events in seq order, one cursor per sink.
public struct AuditStoreSource: ForwardingSource {
    public let store: AuditStore

    public init(store: AuditStore) {
        self.store = store
    }

    public func events(after seq: Int64, limit: Int) async throws -> [ForwardedEvent] {
        try await store.events(after: seq, limit: limit).map {
            ForwardedEvent(seq: $0.seq, id: $0.id, time: $0.time, kind: $0.kind.rawValue, jsonLine: $0.jsonLine)
        }
    }

    public func cursor(for sink: String) async throws -> Int64 {
        try await store.cursor(for: sink)
    }

    public func setCursor(_ seq: Int64, for sink: String) async throws {
        try await store.setCursor(seq, for: sink)
    }
}

/// The `audit.sinks` list of the configuration file.
public enum AuditSinkList {
    /// Decodes and validates the list as written under `audit.sinks`.
    ///
    /// - Throws: `SinkError` naming the sink and the key.
    public static func decode(yaml: String) throws -> [SinkConfiguration] {
        let sinks = try YAMLDecoder().decode([SinkConfiguration].self, from: yaml)
        try SinkConfiguration.validate(sinks)
        return sinks
    }
}
