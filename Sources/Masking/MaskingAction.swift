/// What happens to a value a rule matched.
///
/// Every action removes the raw value from the output; they differ in what the reader
/// of the masked text can still learn: nothing (`redact`), that two mentions are the same
/// value within one session (`pseudonymise`), that two mentions are the same value across
/// sessions of one organisation (`hash`), or that the request must not be sent (`block`).
package enum MaskingAction: String, Hashable, Sendable, Codable, CaseIterable {
    /// Replace with `[ENTITY]`.
    case redact
    /// Replace with `[ENTITY_n]`, numbered per entity from 1 in order of first sighting
    /// within one ``MaskingSession``.
    case pseudonymise
    /// Replace with `[ENTITY:hmac:<12 hex>]`, the first 12 hex digits of
    /// HMAC-SHA256(organisation key, value).
    case hash
    /// Replace with `[ENTITY]` and flag the finding as blocking; the caller refuses the
    /// exchange.
    case block
}
