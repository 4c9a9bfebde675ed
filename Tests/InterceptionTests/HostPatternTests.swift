import Testing

@testable import Interception

@Suite("Host patterns and the provider catalog")
struct HostPatternTests {
    @Test(
        "patterns match what they say and nothing else",
        arguments: [
            ("api.openai.com", "api.openai.com", true),
            ("api.openai.com", "API.OpenAI.com", false),  // callers lower-case first; catalog does
            ("api.openai.com", "xapi.openai.com", false),
            ("*.openai.azure.com", "acme.openai.azure.com", true),
            ("*.openai.azure.com", "a.b.openai.azure.com", true),
            ("*.openai.azure.com", "openai.azure.com", false),
            ("*.openai.azure.com", "evilopenai.azure.com", false),
            ("bedrock-runtime.*.amazonaws.com", "bedrock-runtime.us-east-1.amazonaws.com", true),
            ("bedrock-runtime.*.amazonaws.com", "bedrock-runtime.a.b.amazonaws.com", false),
            ("*-aiplatform.googleapis.com", "us-central1-aiplatform.googleapis.com", true),
            ("*-aiplatform.googleapis.com", "aiplatform.googleapis.com", false),
        ])
    func matching(pattern: String, host: String, expected: Bool) {
        #expect(HostPattern(pattern).matches(host) == expected)
    }

    @Test("the catalog normalises case and trailing dots, and lists only exact names for resolution")
    func catalog() {
        let catalog = ProviderCatalog(providers: [
            Provider(name: "openai", wireFormat: .openai, hosts: [HostPattern("api.openai.com")]),
            Provider(name: "azure", wireFormat: .openai, hosts: [HostPattern("*.openai.azure.com")]),
            Provider(name: "anthropic", wireFormat: .anthropic, hosts: [HostPattern("api.anthropic.com")]),
        ])
        #expect(catalog.provider(for: "API.OPENAI.COM.")?.name == "openai")
        #expect(catalog.provider(for: "x.openai.azure.com")?.name == "azure")
        #expect(catalog.provider(for: "cdn.example.net") == nil)
        #expect(catalog.resolvableHosts == ["api.openai.com", "api.anthropic.com"])
        let extended = catalog.adding(extraHosts: ["llm.internal.example", "api.openai.com"])
        #expect(extended.provider(for: "llm.internal.example")?.name == "configured")
        #expect(extended.providers.count == 4)
    }
}
