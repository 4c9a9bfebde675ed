public import Foundation

/// Where one sink stands, for `chaperone audit sinks --json`.
public struct SinkStatus: Sendable, Hashable, Codable {
    /// The sink's name.
    public var name: String
    /// The `seq` of the last event the sink received.
    public var cursor: Int64
    /// How far the cursor is behind the newest event (difference of `seq`s).
    public var lag: Int64
    /// The last delivery error while the sink is failing; `nil` once a delivery succeeds.
    public var lastError: String?
    /// When the sink last delivered a batch.
    public var lastDeliveryAt: Date?
    /// Whether the sink holds a live connection (file sinks: always `true`).
    public var connected: Bool

    /// Creates a status.
    public init(name: String, cursor: Int64, lag: Int64, lastError: String?, lastDeliveryAt: Date?, connected: Bool) {
        self.name = name
        self.cursor = cursor
        self.lag = lag
        self.lastError = lastError
        self.lastDeliveryAt = lastDeliveryAt
        self.connected = connected
    }

    enum CodingKeys: String, CodingKey {
        case name, cursor, lag, connected
        case lastError = "last_error"
        case lastDeliveryAt = "last_delivery_at"
    }
}
