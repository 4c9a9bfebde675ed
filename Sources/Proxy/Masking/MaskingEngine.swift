public import Foundation
import Interception
package import Masking
import NIOHTTP1
import Yams

/// The masking rules in force for the daemon: one compiled masker per direction, and the
/// organisation key that makes `hash` actions stable across sessions and restarts.
public struct MaskingEngine: Sendable {
    let request: Masker
    let response: Masker
    /// For what is written to records and logs (the request path and query, which can carry a key).
    let record: Masker
    /// The rules that apply to the record but not to requests: the second pass over a request
    /// body before the audit log keeps it; nil when there are none.
    let recordAfterRequest: Masker?
    /// Likewise for response bodies.
    let recordAfterResponse: Masker?
    let organisationKey: [UInt8]

    /// Compiles `ruleSet` for both directions.
    ///
    /// - Throws: ``ConfigurationError`` naming the rule at fault.
    package init(ruleSet: MaskingRuleSet, organisationKey: [UInt8]) throws(ConfigurationError) {
        do {
            request = try Masker(rules: ruleSet, direction: .request)
            response = try Masker(rules: ruleSet, direction: .response)
            record = try Masker(rules: ruleSet, direction: .record)
            recordAfterRequest = try Self.recordOnly(ruleSet, notIn: .request)
            recordAfterResponse = try Self.recordOnly(ruleSet, notIn: .response)
        } catch {
            throw ConfigurationError(.invalidValue, "masking.yaml: \(error)")
        }
        self.organisationKey = organisationKey
    }

    /// A masker of the record rules that `direction` lacks, or nil when it lacks none.
    private static func recordOnly(_ ruleSet: MaskingRuleSet, notIn direction: MaskingDirection) throws(MaskingError) -> Masker? {
        let extra = ruleSet.rules.filter { $0.isEnabled && $0.directions.contains(.record) && !$0.directions.contains(direction) }
        guard !extra.isEmpty else { return nil }
        return try Masker(rules: MaskingRuleSet(version: ruleSet.version, rules: extra), direction: .record)
    }

    /// Loads `DIR/masking.yaml` and the organisation key `STATE/masking.key` (32 random bytes,
    /// created 0600 on first use).
    ///
    /// - Throws: ``ConfigurationError``.
    public static func load(rulesDirectory: URL, stateDirectory: String) throws(ConfigurationError) -> MaskingEngine {
        let ruleSet = try loadRuleSet(from: rulesDirectory.appendingPathComponent("masking.yaml"))
        let key = try loadOrCreateKey(at: (stateDirectory as NSString).appendingPathComponent("masking.key"))
        return try MaskingEngine(ruleSet: ruleSet, organisationKey: key)
    }

    /// Parses and validates a masking rule file.
    package static func loadRuleSet(from file: URL) throws(ConfigurationError) -> MaskingRuleSet {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(.unreadable, "cannot read \(file.path): \(error.localizedDescription)")
        }
        do {
            let ruleSet = try YAMLDecoder().decode(MaskingRuleSet.self, from: text)
            try ruleSet.validate()
            return ruleSet
        } catch {
            throw ConfigurationError(.invalidValue, "\(file.path): \(error)")
        }
    }

    private static func loadOrCreateKey(at path: String) throws(ConfigurationError) -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw ConfigurationError(
                    .invalidValue, "\(path) must hold 32 bytes; remove it to have a new organisation key created")
            }
            return Array(data)
        }
        var key = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = generator.next() }
        guard FileManager.default.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600])
        else {
            throw ConfigurationError(.unreadable, "cannot create \(path); check that the state directory is writable")
        }
        return key
    }

    /// `text` as it may be written to a record or a log line: masked with the record rules.
    func forRecord(_ text: String, session: MaskingSession) -> String {
        record.mask(text, session: session).text
    }

    /// A session for one client connection: pseudonyms stay consistent across its exchanges.
    func makeSession() -> MaskingSession {
        MaskingSession(organisationKey: organisationKey)
    }
}
