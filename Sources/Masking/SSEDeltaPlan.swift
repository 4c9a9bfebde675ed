/// What one parsed event means to the SSE masker: which string values are deltas of
/// which text streams, which streams the event ends, and which values are masked whole.
struct SSEDeltaPlan: Sendable {
    /// A delta string value and the stream it extends.
    struct Delta: Sendable {
        var key: SSEStreamKey
        /// The string node in the event's ``JSONDocument``.
        var node: Int
    }

    /// Streams an event ends; their held-back text must be flushed before it.
    enum Termination: Sendable {
        /// Every open stream (`[DONE]`, `message_stop`, `response.completed`).
        case all
        /// Every stream of one group (a finished choice, a done output item).
        case group(Int)
        /// One stream.
        case stream(SSEStreamKey)
    }

    var deltas: [Delta] = []
    var terminations: [Termination] = []
    /// Values masked within the event as JSON documents of their own, every string value in
    /// them whatever its member name (Gemini's `functionCall.args`, an object whose member
    /// names the model chooses, so an argument called `id` or `name` is masked too).
    var documents: [Int] = []
    /// Whether a delta field held something other than a string or `null`.
    var hasInvalidDelta = false

    /// Whether the event ends the stream `key`.
    ///
    /// - Parameters:
    ///   - key: The stream.
    func terminates(_ key: SSEStreamKey) -> Bool {
        terminations.contains { termination in
            switch termination {
            case .all: true
            case .group(let group): key.group == group
            case .stream(let other): key == other
            }
        }
    }
}
