/// One intercepted HTTP request, reduced to what the policy decides on.
///
/// The proxy fills the fields it can read: the provider from the intercept list, the model
/// and prompt facts from the body when the body was small enough to inspect. Fields that come
/// from the body are unknown when ``bodyInspected`` is `false`; rules that need them then fall
/// back to `defaults.on_uninspectable`.
public struct PolicyRequest: Sendable, Hashable {
    /// Who sent the request.
    public var principal: PolicyPrincipal
    /// The provider's catalog name (`openai`, `anthropic`, `github-copilot`, …), `nil` when unknown.
    public var provider: String?
    /// The TLS server name / `Host` of the request.
    public var host: String
    /// The HTTP method, upper case.
    public var method: String
    /// The request path, with or without its query.
    public var path: String
    /// The model named by the body (or the path, for Gemini and Bedrock), when known.
    public var model: String?
    /// The request body's size in bytes, when known.
    public var bodyBytes: Int?
    /// `false` when the body was larger than the inspect limit or could not be read.
    public var bodyInspected: Bool
    /// Masking findings in the request: entity (`email`, `aws_access_key`, …) → count.
    public var entities: [String: Int]
    /// Whether the request declares tools / functions the model may call.
    public var usesTools: Bool
    /// The request's prompt text after masking, for `prompt` patterns.
    public var text: String?

    /// What the request does, derived from ``path`` and ``provider``.
    public var endpoint: Endpoint { Endpoint.classify(path: path, provider: provider) }

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - principal: Who sent it.
    ///   - provider: The provider's catalog name.
    ///   - host: The server name.
    ///   - method: The HTTP method.
    ///   - path: The request path.
    ///   - model: The model, when known.
    ///   - bodyBytes: The body size, when known.
    ///   - bodyInspected: Whether the body was read and parsed.
    ///   - entities: Masking findings by entity.
    ///   - usesTools: Whether the request declares tools.
    ///   - text: The masked prompt text.
    public init(
        principal: PolicyPrincipal,
        provider: String?,
        host: String,
        method: String = "POST",
        path: String,
        model: String? = nil,
        bodyBytes: Int? = nil,
        bodyInspected: Bool = true,
        entities: [String: Int] = [:],
        usesTools: Bool = false,
        text: String? = nil
    ) {
        self.principal = principal
        self.provider = provider
        self.host = host
        self.method = method
        self.path = path
        self.model = model
        self.bodyBytes = bodyBytes
        self.bodyInspected = bodyInspected
        self.entities = entities
        self.usesTools = usesTools
        self.text = text
    }
}
