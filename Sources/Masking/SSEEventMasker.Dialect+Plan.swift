extension SSEEventMasker.Dialect {
    /// OpenAI chat delta fields that carry text, each its own stream per choice.
    private static let chatTextFields = ["content", "refusal", "reasoning_content", "reasoning"]

    /// Anthropic delta types that carry text, with the field holding it.
    private static let anthropicTextFields = [
        "text_delta": "text", "input_json_delta": "partial_json", "thinking_delta": "thinking",
    ]

    /// Responses `.delta` events whose `delta` is not text (base64 audio).
    private static let responsesOpaqueDeltas: Set<String> = ["response.audio.delta"]

    /// Finds the delta strings and stream ends of a parsed event.
    ///
    /// - Parameters:
    ///   - document: The event's data.
    ///   - eventType: The SSE `event` field, used when the JSON has no `type`.
    func plan(for document: JSONDocument, eventType: [UInt8]?) -> SSEDeltaPlan {
        switch self {
        case .openAIChat: Self.chatPlan(document)
        case .openAIResponses: Self.responsesPlan(document, eventType: eventType)
        case .anthropicMessages: Self.anthropicPlan(document, eventType: eventType)
        case .gemini: Self.geminiPlan(document)
        }
    }

    /// `choices[i].delta.{content,refusal,…}` and `choices[i].delta.tool_calls[j].function.arguments`;
    /// a non-null `finish_reason` ends choice `i`.
    private static func chatPlan(_ document: JSONDocument) -> SSEDeltaPlan {
        var plan = SSEDeltaPlan()
        guard let choices = document.member("choices", of: 0), document.nodes[choices].kind == .array else { return plan }
        for (position, choice) in document.children(of: choices).enumerated() {
            let index = document.integer(document.member("index", of: choice)) ?? position
            if let delta = document.member("delta", of: choice) {
                for field in chatTextFields {
                    guard let value = document.member(field, of: delta), document.isPresent(value) else { continue }
                    if document.nodes[value].kind == .string {
                        plan.deltas.append(.init(key: SSEStreamKey(field: field, group: index), node: value))
                    } else {
                        plan.hasInvalidDelta = true
                    }
                }
                if let calls = document.member("tool_calls", of: delta), document.nodes[calls].kind == .array {
                    for (callPosition, call) in document.children(of: calls).enumerated() {
                        let callIndex = document.integer(document.member("index", of: call)) ?? callPosition
                        let function = document.member("function", of: call)
                        guard let arguments = document.member("arguments", of: function), document.isPresent(arguments) else {
                            continue
                        }
                        if document.nodes[arguments].kind == .string {
                            let key = SSEStreamKey(field: "tool_calls.arguments", group: index, item: callIndex)
                            plan.deltas.append(.init(key: key, node: arguments))
                        } else {
                            plan.hasInvalidDelta = true
                        }
                    }
                }
            }
            if document.isPresent(document.member("finish_reason", of: choice)) {
                plan.terminations.append(.group(index))
            }
        }
        return plan
    }

    /// Every `*.delta` event with a string `delta`, keyed by its type and indices; the
    /// matching `*.done`, `response.output_item.done` or the response's end closes it.
    private static func responsesPlan(_ document: JSONDocument, eventType: [UInt8]?) -> SSEDeltaPlan {
        var plan = SSEDeltaPlan()
        let type = document.string(document.member("type", of: 0)) ?? eventType ?? []
        let name = String(decoding: type, as: UTF8.self)
        let outputIndex = document.integer(document.member("output_index", of: 0)) ?? -1
        let contentIndex = document.integer(document.member("content_index", of: 0)) ?? -1
        let summaryIndex = document.integer(document.member("summary_index", of: 0)) ?? -1
        if name.hasSuffix(".delta"), !responsesOpaqueDeltas.contains(name) {
            let key = SSEStreamKey(field: String(name.dropLast(6)), group: outputIndex, item: contentIndex, part: summaryIndex)
            if let delta = document.member("delta", of: 0), document.isPresent(delta) {
                if document.nodes[delta].kind == .string {
                    plan.deltas.append(.init(key: key, node: delta))
                } else {
                    plan.hasInvalidDelta = true
                }
            }
        } else if name.hasSuffix(".done") {
            let field = String(name.dropLast(5))
            if field == "response.output_item" {
                plan.terminations.append(.group(outputIndex))
            } else {
                let key = SSEStreamKey(field: field, group: outputIndex, item: contentIndex, part: summaryIndex)
                plan.terminations.append(.stream(key))
            }
        } else if ["response.completed", "response.failed", "response.incomplete", "error"].contains(name) {
            plan.terminations.append(.all)
        }
        return plan
    }

    /// `content_block_delta` text, JSON and thinking deltas keyed by block `index`;
    /// `content_block_stop` closes the block, `message_stop` everything.
    private static func anthropicPlan(_ document: JSONDocument, eventType: [UInt8]?) -> SSEDeltaPlan {
        var plan = SSEDeltaPlan()
        let type = document.string(document.member("type", of: 0)) ?? eventType ?? []
        let index = document.integer(document.member("index", of: 0)) ?? -1
        switch String(decoding: type, as: UTF8.self) {
        case "content_block_delta":
            let delta = document.member("delta", of: 0)
            let deltaType = String(decoding: document.string(document.member("type", of: delta)) ?? [], as: UTF8.self)
            guard let field = anthropicTextFields[deltaType] else { break }
            guard let value = document.member(field, of: delta), document.nodes[value].kind == .string else {
                plan.hasInvalidDelta = true
                break
            }
            plan.deltas.append(.init(key: SSEStreamKey(field: "content_block", group: index), node: value))
        case "content_block_stop":
            plan.terminations.append(.group(index))
        case "message_stop", "error":
            plan.terminations.append(.all)
        default:
            break
        }
        return plan
    }
}
