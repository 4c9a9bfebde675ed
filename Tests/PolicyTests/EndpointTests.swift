import Policy
import Testing

@Suite("Endpoint classification")
struct EndpointTests {
    static let cases: [(String?, String, Endpoint)] = [
        // OpenAI
        ("openai", "/v1/chat/completions", .chat),
        ("openai", "/v1/chat/completions?stream=true", .chat),
        ("openai", "/v1/completions", .completions),
        ("openai", "/v1/responses", .responses),
        ("openai", "/v1/responses/resp_123/input_items", .responses),
        ("openai", "/v1/embeddings", .embeddings),
        ("openai", "/v1/files", .files),
        ("openai", "/v1/files/file-abc/content", .files),
        ("openai", "/v1/uploads", .files),
        ("openai", "/v1/fine_tuning/jobs", .fineTuning),
        ("openai", "/v1/fine_tuning/jobs/ftjob-1/events", .fineTuning),
        ("openai", "/v1/batches", .batches),
        ("openai", "/v1/images/generations", .images),
        ("openai", "/v1/audio/transcriptions", .audio),
        ("openai", "/v1/audio/speech", .audio),
        ("openai", "/v1/moderations", .moderations),
        ("openai", "/v1/models", .models),
        ("openai", "/v1/models/ft:gpt-4o-mini:acme::abc123", .models),
        ("openai", "/v1/assistants", .assistants),
        ("openai", "/v1/threads/thread_1/messages", .assistants),
        ("openai", "/v1/vector_stores", .assistants),
        ("openai", "/v1/realtime", .realtime),
        ("openai", "/v1/realtime/sessions", .realtime),
        ("openai", "/v1/organization/usage", .other),
        // Azure OpenAI: user-chosen deployment names never decide
        ("azure-openai", "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21", .chat),
        ("azure-openai", "/openai/deployments/embeddings/chat/completions", .chat),
        ("azure-openai", "/openai/deployments/chat/embeddings", .embeddings),
        ("azure-openai", "/openai/deployments/davinci/completions", .completions),
        ("azure-openai", "/openai/deployments/whisper/audio/transcriptions", .audio),
        ("azure-openai", "/openai/deployments/dalle/images/generations", .images),
        ("azure-openai", "/openai/files", .files),
        ("azure-openai", "/openai/fine_tuning/jobs", .fineTuning),
        ("azure-openai", "/openai/v1/responses", .responses),
        ("azure-openai", "/openai/realtime?deployment=gpt-4o-realtime", .realtime),
        // Anthropic
        ("anthropic", "/v1/messages", .chat),
        ("anthropic", "/v1/messages/count_tokens", .chat),
        ("anthropic", "/v1/messages/batches", .batches),
        ("anthropic", "/v1/messages/batches/msgbatch_1/results", .batches),
        ("anthropic", "/v1/complete", .completions),
        ("anthropic", "/v1/models", .models),
        ("anthropic", "/v1/files", .files),
        // Gemini (AI Studio and Vertex AI)
        ("gemini", "/v1beta/models/gemini-2.0-flash:generateContent", .chat),
        ("gemini", "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", .chat),
        ("gemini", "/v1beta/models/gemini-2.0-flash:countTokens", .chat),
        ("gemini", "/v1beta/models/text-embedding-004:embedContent", .embeddings),
        ("gemini", "/v1beta/models/text-embedding-004:batchEmbedContents", .embeddings),
        ("gemini", "/v1beta/models/gemini-2.0-flash:batchGenerateContent", .batches),
        ("gemini", "/v1beta/models/imagen-3.0-generate-002:predict", .images),
        ("gemini", "/v1beta/models", .models),
        ("gemini", "/v1beta/models/gemini-2.0-flash", .models),
        ("gemini", "/upload/v1beta/files", .files),
        ("gemini", "/v1beta/tunedModels", .fineTuning),
        ("gemini", "/v1beta/openai/chat/completions", .chat),
        (
            "gemini",
            "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent", .chat
        ),
        (
            "gemini", "/v1/projects/acme/locations/us-central1/publishers/anthropic/models/claude-sonnet-4:rawPredict",
            .chat
        ),
        ("gemini", "/v1/projects/acme/locations/us-central1/tuningJobs", .fineTuning),
        ("gemini", "/v1/projects/acme/locations/us-central1/batchPredictionJobs", .batches),
        ("gemini", "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent", .realtime),
        // GitHub Copilot
        ("github-copilot", "/chat/completions", .chat),
        ("github-copilot", "/v1/engines/copilot-codex/completions", .completions),
        ("github-copilot", "/models", .models),
        ("github-copilot", "/embeddings", .embeddings),
        ("github-copilot", "/telemetry", .other),
        // Mistral
        ("mistral", "/v1/chat/completions", .chat),
        ("mistral", "/v1/fim/completions", .completions),
        ("mistral", "/v1/agents/completions", .chat),
        ("mistral", "/v1/embeddings", .embeddings),
        ("mistral", "/v1/batch/jobs", .batches),
        ("mistral", "/v1/chat/moderations", .moderations),
        // Cohere, Groq, Bedrock
        ("cohere", "/v2/chat", .chat),
        ("cohere", "/v1/embed", .embeddings),
        ("cohere", "/v1/generate", .completions),
        ("cohere", "/v1/rerank", .other),
        ("groq", "/openai/v1/chat/completions", .chat),
        ("bedrock", "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke", .chat),
        ("bedrock", "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse-stream", .chat),
        ("bedrock", "/model/amazon.titan-embed-text-v2:0/invoke", .embeddings),
        ("bedrock", "/model/stability.sd3-large-v1:0/invoke", .images),
        (nil, "/", .other),
        (nil, "", .other),
    ]

    @Test("classifies every provider's paths", arguments: cases)
    func classify(provider: String?, path: String, expected: Endpoint) {
        #expect(Endpoint.classify(path: path, provider: provider) == expected, "\(provider ?? "-") \(path)")
    }

    @Test func requestComputesEndpoint() {
        let request = Fixture.request(Fixture.alice, "anthropic", "/v1/messages")
        #expect(request.endpoint == .chat)
    }
}
