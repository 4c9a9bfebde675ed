/// Where a rule applies on the path of one exchange.
///
/// A rule may protect the provider from a value (`request`), the client from a value the
/// model produced (`response`) and the audit store from a value (`record`) independently:
/// an organisation may let e-mail addresses reach the model yet keep them out of the log.
package enum MaskingDirection: String, Hashable, Sendable, Codable, CaseIterable {
    /// Bytes sent from the client to the provider.
    case request
    /// Bytes streamed from the provider to the client.
    case response
    /// Text written to the audit record.
    case record
}
