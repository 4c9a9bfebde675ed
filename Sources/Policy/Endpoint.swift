/// What a request to a provider does, independent of the provider's URL scheme.
///
/// Rules name endpoints rather than paths, so one rule covers `/v1/chat/completions`,
/// Anthropic's `/v1/messages` and Gemini's `:generateContent` alike.
public enum Endpoint: String, Sendable, Hashable, Codable, CaseIterable {
    /// A conversation turn: OpenAI chat completions, Anthropic messages, Gemini generateContent.
    case chat
    /// Legacy and fill-in-the-middle text completions.
    case completions
    /// OpenAI's Responses API.
    case responses
    /// Embedding vectors.
    case embeddings
    /// File uploads and downloads.
    case files
    /// Fine-tuning and tuned models.
    case fineTuning = "fine-tuning"
    /// Batch jobs.
    case batches
    /// Image generation and editing.
    case images
    /// Speech, transcription and translation.
    case audio
    /// Moderation.
    case moderations
    /// Model listings and model metadata.
    case models
    /// Assistants, threads and vector stores.
    case assistants
    /// Realtime and live (WebSocket) sessions.
    case realtime
    /// Anything else (telemetry, rerank, OCR, …).
    case other

    /// The names a policy file may use, in declaration order.
    static var names: [String] { allCases.map(\.rawValue) }
}
