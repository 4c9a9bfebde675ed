import Interception
import Masking
import NIOHTTP1

/// The masker for one body, chosen by its media type: JSON string values, SSE event deltas, the
/// events of a streamed JSON array, plain text, or nothing (binary bodies such as audio and images
/// pass untouched).
enum BodyMaskingStream {
    case json(JSONStringMasker)
    case sse(SSEEventMasker)
    case jsonEvents(JSONArrayEventMasker)
    case text(StreamMasker)

    /// The stream for a body with `headers`, or nil when the body is not text we mask.
    ///
    /// - Parameters:
    ///   - headers: The head of the message whose body this is.
    ///   - masker: The masker of the direction.
    ///   - session: The connection's masking session (consistent pseudonyms).
    ///   - dialect: The SSE dialect, from the provider and path.
    ///   - jsonEvents: Whether a JSON body is an array of the dialect's events (a response of
    ///     Gemini's `streamGenerateContent` without `alt=sse`), masked with text streams running
    ///     across elements.
    static func make(
        for headers: HTTPHeaders, masker: Masker, session: MaskingSession, dialect: SSEEventMasker.Dialect,
        jsonEvents: Bool = false
    ) -> BodyMaskingStream? {
        let mediaType = headers.first(name: "content-type")?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        switch mediaType {
        case "text/event-stream":
            return .sse(SSEEventMasker(dialect: dialect, masker: masker, session: session))
        case "application/json" where jsonEvents:
            return .jsonEvents(JSONArrayEventMasker(dialect: dialect, masker: masker, session: session))
        case "application/json", "application/x-ndjson", "application/jsonl":
            return .json(JSONStringMasker(masker: masker, session: session))
        case _ where mediaType.hasPrefix("text/"):
            return .text(masker.makeStream(session: session))
        case _ where mediaType.hasSuffix("+json"):
            return .json(JSONStringMasker(masker: masker, session: session))
        default:
            return nil
        }
    }

    mutating func feed(_ bytes: some Collection<UInt8>) -> MaskedOutput {
        switch self {
        case .json(var stream):
            let output = stream.feed(bytes)
            self = .json(stream)
            return output
        case .sse(var stream):
            let output = stream.feed(bytes)
            self = .sse(stream)
            return output
        case .jsonEvents(var stream):
            let output = stream.feed(bytes)
            self = .jsonEvents(stream)
            return output
        case .text(var stream):
            let output = stream.feed(bytes)
            self = .text(stream)
            return output
        }
    }

    mutating func finish() -> MaskedOutput {
        switch self {
        case .json(var stream):
            let output = stream.finish()
            self = .json(stream)
            return output
        case .sse(var stream):
            let output = stream.finish()
            self = .sse(stream)
            return output
        case .jsonEvents(var stream):
            let output = stream.finish()
            self = .jsonEvents(stream)
            return output
        case .text(var stream):
            let output = stream.finish()
            self = .text(stream)
            return output
        }
    }
}

extension SSEEventMasker.Dialect {
    /// The dialect of a provider's event stream for a request path.
    ///
    /// Google's hosts speak more than Gemini: Vertex AI serves Anthropic models under
    /// `…/publishers/anthropic/models/…:streamRawPredict`, other partners' models (Mistral) in
    /// OpenAI's chat chunks under their publisher, and an OpenAI-compatible chat under
    /// `…/endpoints/openapi/chat/completions`; the Gemini API has one under
    /// `/v1beta/openai/chat/completions`. Everything else there is `streamGenerateContent`.
    ///
    /// - Parameters:
    ///   - format: The provider's wire format.
    ///   - path: The request target; a query string is ignored.
    static func of(_ format: WireFormat, path: String) -> SSEEventMasker.Dialect {
        switch format {
        case .anthropic: return .anthropicMessages
        case .gemini:
            let path = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if path.contains("/publishers/anthropic/") { return .anthropicMessages }
            if path.hasSuffix("/chat/completions") { return .openAIChat }
            if path.contains("/publishers/"), !path.contains("/publishers/google/") { return .openAIChat }
            return .gemini
        case _ where path.hasPrefix("/v1/responses") || path.hasPrefix("/openai/v1/responses"): return .openAIResponses
        default: return .openAIChat
        }
    }

    /// Whether a JSON response to `path` is a stream of events: Gemini's `streamGenerateContent`
    /// answers a JSON array, one `GenerateContentResponse` per element, unless asked for SSE.
    ///
    /// - Parameters:
    ///   - format: The provider's wire format.
    ///   - path: The request target; a query string is ignored.
    static func streamsJSONEvents(_ format: WireFormat, path: String) -> Bool {
        guard format == .gemini, of(format, path: path) == .gemini else { return false }
        let path = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return path.lowercased().hasSuffix(":streamgeneratecontent")
    }
}
