public import Foundation
import Audit
import Identity
import Masking
public import Logging
import NIOConcurrencyHelpers
public import Policy

/// The policy on the data path: decides each held request, runs the approvals it asks for, keeps
/// the grants, and writes `policy.decision`, `approval.*` and `grant.*` to the audit log.
///
/// The policy in force is swapped whole on reload; a request is decided by the one in force when
/// it was asked, and its hash goes into every event of that decision (invariant 2).
public final class PolicyGate: Sendable {
    /// The policy in force and the masking rule sets it names, swapped together.
    struct InForce: Sendable {
        var policy: Policy
        var masking: [String: MaskingEngine]
    }

    private let current: NIOLockedValueBox<InForce>
    /// `masking.yaml`, the rule set called `default`; it also holds the organisation key.
    let defaultMasking: MaskingEngine
    /// Pending and decided approvals.
    public let approvals: ApprovalBook
    /// Time-bound grants.
    public let grants: GrantBook
    let trail: AuditTrail?
    let webhook: WebhookPoster?
    let grantsPath: String
    let rulesDirectory: URL
    let knownProviders: Set<String>
    let logger: Logger
    /// The host name in unix principals.
    let hostName = ProcessInfo.processInfo.hostName

    /// - Parameters:
    ///   - policy: The policy to start with.
    ///   - rulesDirectory: Where it was loaded from (reload reads it again).
    ///   - knownProviders: Provider names of the catalog, for validation on reload.
    ///   - trail: The audit log.
    ///   - webhookURL: Where pending approvals are announced, if anywhere.
    ///   - trustBundle: Trust for an https webhook (nil: the system store).
    ///   - grantsPath: Where grants are kept across restarts.
    ///   - defaultMasking: The rule set of `masking.yaml`.
    ///   - logger: The daemon's logger.
    /// - Throws: ``ConfigurationError`` when a masking rule set the policy names does not load.
    public init(
        policy: Policy, rulesDirectory: URL, knownProviders: Set<String>, trail: AuditTrail?, webhookURL: String?,
        trustBundle: String?, grantsPath: String, defaultMasking: MaskingEngine, logger: Logger
    ) throws {
        self.defaultMasking = defaultMasking
        current = NIOLockedValueBox(
            InForce(
                policy: policy,
                masking: try Self.loadMasking(for: policy, rulesDirectory: rulesDirectory, default: defaultMasking)))
        approvals = ApprovalBook()
        self.grantsPath = grantsPath
        grants = GrantBook()
        self.trail = trail
        self.rulesDirectory = rulesDirectory
        self.knownProviders = knownProviders
        self.logger = logger
        webhook = try webhookURL.map {
            guard let url = URL(string: $0) else {
                throw ConfigurationError(.invalidValue, "policy.approval_webhook \($0) is not a URL")
            }
            return try WebhookPoster(url: url, trustBundle: trustBundle, group: .singletonMultiThreadedEventLoopGroup)
        }
        trail?.currentPolicyHash = policy.hash
    }

    /// The policy in force.
    public var policy: Policy { current.withLockedValue { $0.policy } }

    /// The masking rule set the policy names for a principal, with its name; `masking.yaml`
    /// when the name has no rule set (which a loaded policy never allows).
    func maskingEngine(for principal: Principal?, unixUser: String?, uid: UInt32?) -> (name: String, engine: MaskingEngine) {
        let inForce = current.withLockedValue { $0 }
        let name = inForce.policy.maskingRuleSet(for: policyPrincipal(principal, unixUser: unixUser, uid: uid))
        return (name, inForce.masking[name] ?? defaultMasking)
    }

    /// The rule sets a policy names: `default` is `masking.yaml`, any other NAME is
    /// `masking.NAME.yaml` in the rules directory.
    static func loadMasking(
        for policy: Policy, rulesDirectory: URL, default defaultMasking: MaskingEngine
    ) throws(ConfigurationError) -> [String: MaskingEngine] {
        var names: Set<String> = [policy.document.defaults.masking]
        for group in policy.document.groups { if let name = group.masking { names.insert(name) } }
        var engines: [String: MaskingEngine] = ["default": defaultMasking]
        for name in names where name != "default" {
            let file = rulesDirectory.appendingPathComponent("masking.\(name).yaml")
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw ConfigurationError(
                    .invalidValue,
                    "policy.yaml names the masking rule set '\(name)' but \(file.path) does not exist; create it (same format as masking.yaml) or name 'default'")
            }
            let ruleSet = try MaskingEngine.loadRuleSet(from: file)
            engines[name] = try MaskingEngine(ruleSet: ruleSet, organisationKey: defaultMasking.organisationKey)
        }
        return engines
    }

    var needsBody: Bool { policy.needsBody }
    var inspectLimit: Int { policy.inspectLimitBytes }

    /// Reads the grants kept by an earlier run and records the policy in force.
    public func start() async {
        do {
            try grants.load(from: URL(fileURLWithPath: grantsPath))
        } catch {
            logger.warning("cannot read the grants of an earlier run; starting with none", metadata: ["error": "\(error)"])
        }
        await recordSnapshot(policy)
    }

    /// Loads the rules directory again. An invalid policy keeps the old one in force and says why.
    /// - Returns: Whether a new policy is in force.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        let loaded: Policy
        let masking: [String: MaskingEngine]
        do {
            loaded = try Policy.load(directory: rulesDirectory)
            masking = try Self.loadMasking(for: loaded, rulesDirectory: rulesDirectory, default: defaultMasking)
        } catch let error as PolicyError {
            logger.error(
                "policy reload (\(reason)) failed; the policy in force is kept",
                metadata: ["kept": "\(policy.hash.prefix(12))", "errors": "\(error.description)"])
            return false
        } catch {
            logger.error(
                "policy reload (\(reason)) failed; the policy in force is kept",
                metadata: ["kept": "\(policy.hash.prefix(12))", "errors": "\(error)"])
            return false
        }
        guard loaded.hash != policy.hash else { return false }
        current.withLockedValue { $0 = InForce(policy: loaded, masking: masking) }
        trail?.currentPolicyHash = loaded.hash
        await recordSnapshot(loaded)
        logger.notice("policy reloaded (\(reason))", metadata: ["hash": "\(loaded.hash.prefix(12))"])
        return true
    }

    /// Writes `policy.snapshot` (the full text, once per hash: the store is asked first).
    private func recordSnapshot(_ policy: Policy) async {
        guard let trail else { return }
        let files = policy.files.map { AuditValue.object(["name": .string($0.name), "text": .string($0.text)]) }
        do {
            if try await trail.hasSnapshot(policyHash: policy.hash) { return }
            try await trail.append(
                .policySnapshot, payload: .object(["policy_hash": .string(policy.hash), "files": .array(files)]))
        } catch {
            logger.error("cannot record the policy snapshot", metadata: ["error": "\(error)"])
        }
    }

    /// The principal as the policy sees it, with the groups it maps the principal to.
    ///
    /// The kernel's uid goes into `attributes["uid"]` whatever the source, so a person cannot
    /// approve their own request by switching between their token and their unix account.
    func policyPrincipal(_ principal: Principal?, unixUser: String?, uid: UInt32?) -> PolicyPrincipal {
        guard let principal else {
            var attributes: [String: String] = [:]
            if let uid { attributes["uid"] = String(uid) }
            return PolicyPrincipal(subject: "unknown", source: "unix", attributes: attributes, unixUser: unixUser)
        }
        var user = unixUser
        if principal.source == .unix, user == nil { user = principal.name }
        var attributes = principal.attributes
        if let uid, attributes["uid"] == nil { attributes["uid"] = String(uid) }
        let base = PolicyPrincipal(
            subject: principal.subject, email: principal.email, groups: principal.groups,
            source: principal.source.rawValue, attributes: attributes, unixUser: user)
        return policy.resolvingGroups(of: base)
    }
}
