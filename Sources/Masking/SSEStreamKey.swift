/// Identifies one text stream inside an SSE response: which field, and which choice,
/// output item or content block it belongs to.
///
/// `group` is the unit that ends together (an OpenAI choice, a Responses output item, an
/// Anthropic content block); `item` and `part` tell streams of one group apart (a tool
/// call index, a content or summary index), `-1` where unused.
struct SSEStreamKey: Hashable, Sendable {
    /// The field or event family: `content`, `tool_calls.arguments`,
    /// `response.output_text`, `content_block`, ….
    var field: String
    /// The choice, output item or content block index.
    var group: Int
    /// The tool call or content index, `-1` if unused.
    var item = -1
    /// The summary index, `-1` if unused.
    var part = -1
}
