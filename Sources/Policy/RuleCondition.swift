/// The `when:` (or `unless:`) of a rule: every key written must match; within a key's list,
/// any entry may match. Keys left out match every request.
public struct RuleCondition: Sendable, Hashable, Codable {
    /// Provider catalog names.
    public var providers: [String]?
    /// Model globs; needs the body unless the model is in the path.
    public var models: [Glob]?
    /// Endpoints.
    public var endpoints: [Endpoint]?
    /// Groups the principal belongs to (after `unix_users` and `sources`).
    public var groups: [String]?
    /// Identity sources: `oidc`, `github-actions`, `gitlab-ci`, `unix`.
    public var sources: [String]?
    /// Masking entities found in the request; needs the body.
    public var entities: [String]?
    /// Regular expressions matched against the masked prompt; needs the body.
    public var prompt: [PromptPattern]?
    /// Whether the request declares tools; needs the body.
    public var tools: Bool?
    /// Matches bodies of at least this many KiB.
    public var minBodyKB: Int?

    /// A condition with no keys, matching every request.
    public init() {}

    /// Whether any key looks inside the body.
    public var needsBody: Bool {
        models != nil || entities != nil || prompt != nil || tools != nil || minBodyKB != nil
    }

    /// Whether no key is set.
    var isEmpty: Bool {
        providers == nil && models == nil && endpoints == nil && groups == nil && sources == nil
            && entities == nil && prompt == nil && tools == nil && minBodyKB == nil
    }

    enum CodingKeys: String, CodingKey {
        case providers, models, endpoints, groups, sources, entities, prompt, tools
        case minBodyKB = "min_body_kb"
    }
}
