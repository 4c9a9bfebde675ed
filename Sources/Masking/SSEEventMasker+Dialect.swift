extension SSEEventMasker {
    /// The event shape of an LLM provider's streaming API.
    package enum Dialect: String, Sendable, CaseIterable {
        /// OpenAI chat completions: `chat.completion.chunk` objects, `data: [DONE]` last.
        case openAIChat
        /// OpenAI Responses API: typed `response.*` events.
        case openAIResponses
        /// Anthropic messages: `content_block_delta` and friends.
        case anthropicMessages
        /// Gemini and Vertex AI `streamGenerateContent?alt=sse`: one `GenerateContentResponse`
        /// per event, text in `candidates[i].content.parts[j].text`.
        case gemini
    }
}
