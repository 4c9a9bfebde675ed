/// The wire format a provider speaks, which decides how requests are parsed and errors are shaped.
public enum WireFormat: String, Codable, Sendable, CaseIterable {
    /// OpenAI's REST API and compatible ones (Azure OpenAI, Copilot, Groq, Mistral...).
    case openai
    /// Anthropic's Messages API.
    case anthropic
    /// Google's Gemini / Vertex `generateContent` API.
    case gemini
    /// Cohere's API.
    case cohere
    /// AWS Bedrock runtime.
    case bedrock
}

/// One LLM provider: its name, wire format and host patterns.
public struct Provider: Codable, Sendable, Hashable {
    /// A stable short name (`openai`), used in records and policy.
    public var name: String
    /// The API dialect the hosts speak.
    public var wireFormat: WireFormat
    /// Host names and wildcards whose TLS is intercepted.
    public var hosts: [HostPattern]

    public init(name: String, wireFormat: WireFormat, hosts: [HostPattern]) {
        self.name = name
        self.wireFormat = wireFormat
        self.hosts = hosts
    }

    enum CodingKeys: String, CodingKey {
        case name
        case wireFormat = "wire_format"
        case hosts
    }
}

/// The intercept list: which hosts are LLM providers, as `Rules/providers.yaml` declares them.
public struct ProviderCatalog: Codable, Sendable, Hashable {
    /// The providers, in file order (the first match wins).
    public var providers: [Provider]

    public init(providers: [Provider]) {
        self.providers = providers
    }

    /// The provider whose patterns match `host`, or nil when the host is not intercepted.
    ///
    /// - Parameter host: A host name in any case, with or without a trailing dot.
    public func provider(for host: String) -> Provider? {
        var normalized = host.lowercased()
        if normalized.hasSuffix(".") { normalized.removeLast() }
        return providers.first { $0.hosts.contains { $0.matches(normalized) } }
    }

    /// The exact (non-wildcard) host names, which can be resolved ahead of time.
    public var resolvableHosts: [String] {
        var seen = Set<String>()
        return providers.flatMap(\.hosts).filter { !$0.isWildcard }.map(\.pattern).filter { seen.insert($0).inserted }
    }

    /// Adds `hosts` as an extra provider (from configuration), speaking the OpenAI dialect.
    public func adding(extraHosts hosts: [String]) -> ProviderCatalog {
        let extra = hosts.map(HostPattern.init).filter { provider(for: $0.pattern) == nil }
        guard !extra.isEmpty else { return self }
        return ProviderCatalog(providers: providers + [Provider(name: "configured", wireFormat: .openai, hosts: extra)])
    }
}
