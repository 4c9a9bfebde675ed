/// What the members of one group may use; `nil` in a dimension means "any".
///
/// A principal may send a request when at least one of its groups allows the provider, the
/// model and the endpoint together. A group that sets none of the three grants nothing: it
/// exists to be named by approvers and rule conditions (`security: {}`), so an empty entry
/// can never open access to everything by accident.
public struct GroupAccess: Sendable, Hashable, Codable {
    /// The group's name as tokens and `unix_users` carry it.
    public var name: String
    /// Provider catalog names, or `nil` for any provider.
    public var providers: [String]?
    /// Model globs, or `nil` for any model.
    public var models: [Glob]?
    /// Endpoints, or `nil` for any endpoint.
    public var endpoints: [Endpoint]?
    /// The masking rule set for members, or `nil` for the default.
    public var masking: String?
    /// Whether the group grants any access (it sets providers, models or endpoints).
    public var grantsAccess: Bool { providers != nil || models != nil || endpoints != nil }

    /// Where the group is defined, `file:line:column`, for explain output.
    public var location: String

    /// Creates a group.
    ///
    /// - Parameters:
    ///   - name: The group's name.
    ///   - providers: Allowed providers, `nil` for any.
    ///   - models: Allowed model globs, `nil` for any.
    ///   - endpoints: Allowed endpoints, `nil` for any.
    ///   - masking: The masking rule set for members.
    ///   - location: Where the group is defined.
    public init(
        name: String,
        providers: [String]? = nil,
        models: [Glob]? = nil,
        endpoints: [Endpoint]? = nil,
        masking: String? = nil,
        location: String = ""
    ) {
        self.name = name
        self.providers = providers
        self.models = models
        self.endpoints = endpoints
        self.masking = masking
        self.location = location
    }
}
