extension SSEEventMasker.Dialect {
    /// The JSON of a flush event: the stream's last delta event with its delta replaced
    /// by `literal` and everything that belonged to other streams or to that delta's
    /// metadata (tool call id and name, role, log-probabilities) left out.
    ///
    /// - Parameters:
    ///   - document: The template event's data.
    ///   - key: The stream being flushed.
    ///   - literal: The flushed text as a JSON string literal.
    /// - Returns: The new data, or `nil` if the template does not have the expected shape.
    func syntheticData(from document: JSONDocument, key: SSEStreamKey, literal: [UInt8]) -> [UInt8]? {
        guard document.nodes.first?.kind == .object else { return nil }
        switch self {
        case .openAIChat:
            guard let choices = document.member("choices", of: 0) else { return nil }
            let choice = document.children(of: choices).enumerated().first { position, choice in
                (document.integer(document.member("index", of: choice)) ?? position) == key.group
            }?.element
            guard let choice else { return nil }
            var delta: [UInt8]
            if key.field == "tool_calls.arguments" {
                delta = Array(#"{"tool_calls":[{"index":\#(key.item),"function":{"arguments":"#.utf8)
                delta += literal + Array("}}]}".utf8)
            } else {
                delta = Array(#"{"\#(key.field)":"#.utf8) + literal + [0x7D]
            }
            let newChoice = document.rewriteObject(choice) { member in
                switch member {
                case "delta": delta
                case "logprobs": Array("null".utf8)
                default: nil
                }
            }
            return document.rewriteObject(0) { $0 == "choices" ? [0x5B] + newChoice + [0x5D] : nil }
        case .openAIResponses:
            return document.rewriteObject(0) { member in
                switch member {
                case "delta": literal
                case "logprobs": Array("[]".utf8)
                default: nil
                }
            }
        case .anthropicMessages:
            guard let delta = document.member("delta", of: 0), document.nodes[delta].kind == .object else { return nil }
            let newDelta = document.rewriteObject(delta) { $0 == "type" ? nil : literal }
            return document.rewriteObject(0) { $0 == "delta" ? newDelta : nil }
        case .gemini:
            return Self.geminiSyntheticData(from: document, key: key, literal: literal)
        }
    }
}
