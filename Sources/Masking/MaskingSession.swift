import Crypto
import Synchronization

/// State shared by every masker of one exchange (or one longer session): the numbering of
/// pseudonyms and the key for `hash` replacements.
///
/// Pseudonyms must agree across the request stream, the response stream and every choice
/// of a completion, so the table lives here rather than in a `StreamMasker`. The table is
/// keyed by an HMAC of each value, never by the value itself, so no raw value outlives
/// the bytes being masked. A class with a `Mutex`: shared by reference, safe from any
/// thread.
package final class MaskingSession: Sendable {
    private struct State {
        var nextNumber: [EntityType: Int] = [:]
        var numbers: [EntityType: [[UInt8]: Int]] = [:]
    }

    /// Key bytes; `SymmetricKey` is not `Sendable` in swift-crypto 3.12, so a key is
    /// rebuilt per use (a copy of 32 bytes).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    private let state = Mutex(State())

    /// Creates a session whose `hash` replacements are stable across sessions.
    ///
    /// - Parameters:
    ///   - organisationKey: The organisation's HMAC key (at least 16 bytes recommended);
    ///     the same key yields the same `[ENTITY:hmac:…]` for the same value everywhere.
    package init(organisationKey: [UInt8]) {
        self.keyBytes = organisationKey
    }

    /// Creates a session with a random key: `hash` replacements are stable only within it.
    package init() {
        var generator = SystemRandomNumberGenerator()
        self.keyBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The first 12 hex digits of HMAC-SHA256(key, value).
    ///
    /// - Parameters:
    ///   - value: The raw value.
    package func hashTag(of value: some Sequence<UInt8>) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value), using: key)
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in mac.prefix(6) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The pseudonym number of `value` for `entity`, assigning the next one (from 1) on
    /// first sight.
    ///
    /// - Parameters:
    ///   - value: The raw value.
    ///   - entity: The entity type; numbering is per entity.
    package func pseudonymNumber(of value: some Sequence<UInt8>, entity: EntityType) -> Int {
        var message = Array("pseudonym\u{0}\(entity.rawValue)\u{0}".utf8)
        message.append(contentsOf: value)
        let digest = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        return state.withLock { state in
            if let number = state.numbers[entity]?[digest] { return number }
            let number = (state.nextNumber[entity] ?? 0) + 1
            state.nextNumber[entity] = number
            state.numbers[entity, default: [:]][digest] = number
            return number
        }
    }

    /// The replacement text for a value matched by `rule`.
    ///
    /// - Parameters:
    ///   - rule: The matching rule.
    ///   - value: The raw value.
    func replacement(for rule: MaskingRule, value: some Collection<UInt8>) -> String {
        switch rule.action {
        case .redact, .block: "[\(rule.entity.rawValue)]"
        case .pseudonymise: "[\(rule.entity.rawValue)_\(pseudonymNumber(of: value, entity: rule.entity))]"
        case .hash: "[\(rule.entity.rawValue):hmac:\(hashTag(of: value))]"
        }
    }
}
