public import Foundation
import Identity
import Interception
import Masking
public import Policy

/// `chaperone policy explain`: what the policy in a rules directory decides for a request, with
/// the same request facts the daemon reads (provider from the host, model and tools from the
/// body, entities from the request masker).
public enum PolicyExplainer {
    /// Who asks: a local account (groups from `unix_users`) or a token's subject and groups.
    public struct Asker: Sendable {
        public var user: String
        public var groups: [String]
        /// `unix`, `oidc`, `github-actions` or `gitlab-ci`.
        public var source: String
        public var email: String?

        public init(user: String, groups: [String], source: String, email: String?) {
            self.user = user
            self.groups = groups
            self.source = source
            self.email = email
        }
    }

    /// Decides a request with the policy of `rulesDirectory`.
    ///
    /// - Throws: `PolicyError` for an invalid policy, ``ConfigurationError`` for unreadable
    ///   provider or masking rules.
    public static func explain(
        rulesDirectory: URL, asker: Asker, host: String, method: String, path: String, body: Data?, now: Date = Date()
    ) throws -> PolicyDecision {
        let policy = try Policy.load(directory: rulesDirectory)
        let catalog = try ConfigurationLoader.loadProviders(rulesDirectory: rulesDirectory)
        var entities: [String: Int] = [:]
        let bytes = body.map(Array.init) ?? []
        if !bytes.isEmpty {
            let ruleSet = try MaskingEngine.loadRuleSet(from: rulesDirectory.appendingPathComponent("masking.yaml"))
            let engine = try MaskingEngine(ruleSet: ruleSet, organisationKey: Array(repeating: 0, count: 32))
            for finding in engine.request.mask(bytes).findings {
                entities[finding.entity.rawValue.lowercased(), default: 0] += 1
            }
        }
        let isUnix = asker.source == "unix"
        let principal = PolicyPrincipal(
            subject: isUnix ? "unix:\(asker.user)" : asker.user, email: asker.email, groups: asker.groups,
            source: asker.source, unixUser: isUnix ? asker.user : nil)
        let isJSON = bytes.first.map { $0 == UInt8(ascii: "{") } ?? false
        let request = PolicyRequest(
            principal: policy.resolvingGroups(of: principal), provider: catalog.provider(for: host)?.name, host: host,
            method: method, path: path, model: RequestFacts.model(inJSON: isJSON ? bytes : [], path: path),
            bodyBytes: bytes.count, bodyInspected: true, entities: entities,
            usesTools: isJSON && RequestFacts.usesTools(inJSON: bytes),
            text: isJSON ? RequestFacts.text(inJSON: bytes) : (bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)))
        return policy.decide(request, grants: [], now: now)
    }
}
