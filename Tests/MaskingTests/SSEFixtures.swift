import Foundation

@testable import Masking

/// SSE responses written the way the providers send them, and an independent reader
/// (Foundation's JSON parser) that reassembles each text stream from masked output.
enum SSEFixtures {
    /// `text` as a JSON string literal.
    static func literal(_ text: String) -> String {
        String(decoding: JSONLiteral.encode(Array(text.utf8)), as: UTF8.self)
    }

    // MARK: OpenAI chat completions

    static func chatChunk(_ choices: String, extra: String = "") -> String {
        #"data: {"id":"chatcmpl-AU7x2kq9Fz","object":"chat.completion.chunk","created":1731700000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[\#(choices)]\#(extra)}"#
            + "\n\n"
    }

    static func chatContent(_ text: String, choice: Int = 0) -> String {
        chatChunk(#"{"index":\#(choice),"delta":{"content":\#(literal(text))},"logprobs":null,"finish_reason":null}"#)
    }

    static func chatFinish(choice: Int = 0, reason: String = "stop") -> String {
        chatChunk(#"{"index":\#(choice),"delta":{},"logprobs":null,"finish_reason":"\#(reason)"}"#)
    }

    static let chatRole = chatChunk(#"{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}"#)
    static let chatUsage = chatChunk("", extra: #","usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29}"#)
    static let done = "data: [DONE]\n\n"

    /// One choice streaming `pieces` as content.
    static func chat(_ pieces: [String]) -> String {
        chatRole + pieces.map { chatContent($0) }.joined() + chatFinish() + chatUsage + done
    }

    /// Two choices interleaved, the second calling a tool whose arguments stream.
    static func chatTwoChoicesWithTools(_ first: [String], arguments: [String]) -> String {
        var events = [
            chatChunk(#"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}"#),
            chatChunk(#"{"index":1,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_Qf3xk2","type":"function","function":{"name":"send_mail","arguments":""}}]},"logprobs":null,"finish_reason":null}"#),
        ]
        for position in 0..<max(first.count, arguments.count) {
            if position < first.count { events.append(chatContent(first[position])) }
            if position < arguments.count {
                events.append(
                    chatChunk(#"{"index":1,"delta":{"tool_calls":[{"index":0,"function":{"arguments":\#(literal(arguments[position]))}}]},"logprobs":null,"finish_reason":null}"#)
                )
            }
        }
        events += [chatFinish(choice: 0), chatFinish(choice: 1, reason: "tool_calls"), done]
        return events.joined()
    }

    // MARK: Anthropic messages

    static func anthropicEvent(_ type: String, _ json: String) -> String {
        "event: \(type)\ndata: \(json)\n\n"
    }

    static let anthropicStart = anthropicEvent(
        "message_start",
        #"{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#
    )

    static func anthropicBlockStart(_ index: Int, _ block: String = #"{"type":"text","text":""}"#) -> String {
        anthropicEvent("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":\#(block)}"#)
    }

    static func anthropicDelta(_ index: Int, _ text: String, type: String = "text_delta", field: String = "text") -> String {
        anthropicEvent(
            "content_block_delta",
            #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"\#(type)","\#(field)":\#(literal(text))}}"#
        )
    }

    static func anthropicBlockStop(_ index: Int) -> String {
        anthropicEvent("content_block_stop", #"{"type":"content_block_stop","index":\#(index)}"#)
    }

    static let anthropicEnd =
        anthropicEvent(
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#
        ) + anthropicEvent("message_stop", #"{"type":"message_stop"}"#)

    static let anthropicPing = anthropicEvent("ping", #"{"type": "ping"}"#)

    /// One text block streaming `pieces`.
    static func anthropic(_ pieces: [String]) -> String {
        anthropicStart + anthropicBlockStart(0) + anthropicPing + pieces.map { anthropicDelta(0, $0) }.joined()
            + anthropicBlockStop(0) + anthropicEnd
    }

    /// Thinking, text and a tool call's JSON input, each a block.
    static func anthropicWithTools(thinking: [String], text: [String], json: [String]) -> String {
        var events = [anthropicStart, anthropicBlockStart(0, #"{"type":"thinking","thinking":""}"#)]
        events += thinking.map { anthropicDelta(0, $0, type: "thinking_delta", field: "thinking") }
        events.append(
            anthropicEvent(
                "content_block_delta",
                #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}"#
            )
        )
        events += [anthropicBlockStop(0), anthropicBlockStart(1)]
        events += text.map { anthropicDelta(1, $0) }
        events += [
            anthropicBlockStop(1),
            anthropicBlockStart(2, #"{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"send_mail","input":{}}"#),
        ]
        events += json.map { anthropicDelta(2, $0, type: "input_json_delta", field: "partial_json") }
        events += [anthropicBlockStop(2), anthropicEnd]
        return events.joined()
    }

    // MARK: OpenAI Responses

    static func responsesEvent(_ type: String, _ body: String, sequence: Int) -> String {
        "event: \(type)\ndata: {\"type\":\"\(type)\",\"sequence_number\":\(sequence),\(body)}\n\n"
    }

    /// A message item streaming `pieces`, with the `done` snapshots the API sends.
    static func responses(_ pieces: [String], functionArguments: [String] = []) -> String {
        let text = pieces.joined()
        let response = #""id":"resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b","object":"response","created_at":1741476542,"model":"gpt-4.1-2025-04-14""#
        let message = #""id":"msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b","type":"message","role":"assistant""#
        var sequence = 0
        func next() -> Int {
            sequence += 1
            return sequence - 1
        }
        var events = [
            responsesEvent("response.created", #""response":{\#(response),"status":"in_progress","output":[]}"#, sequence: next()),
            responsesEvent("response.in_progress", #""response":{\#(response),"status":"in_progress","output":[]}"#, sequence: next()),
            responsesEvent("response.output_item.added", #""output_index":0,"item":{\#(message),"status":"in_progress","content":[]}"#, sequence: next()),
            responsesEvent("response.content_part.added", #""item_id":"msg_67cc","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}"#, sequence: next()),
        ]
        for piece in pieces {
            events.append(
                responsesEvent("response.output_text.delta", #""item_id":"msg_67cc","output_index":0,"content_index":0,"delta":\#(literal(piece)),"logprobs":[]"#, sequence: next())
            )
        }
        let part = #"{"type":"output_text","text":\#(literal(text)),"annotations":[]}"#
        events += [
            responsesEvent("response.output_text.done", #""item_id":"msg_67cc","output_index":0,"content_index":0,"text":\#(literal(text)),"logprobs":[]"#, sequence: next()),
            responsesEvent("response.content_part.done", #""item_id":"msg_67cc","output_index":0,"content_index":0,"part":\#(part)"#, sequence: next()),
            responsesEvent("response.output_item.done", #""output_index":0,"item":{\#(message),"status":"completed","content":[\#(part)]}"#, sequence: next()),
        ]
        var output = #"{\#(message),"status":"completed","content":[\#(part)]}"#
        if !functionArguments.isEmpty {
            let item = #""id":"fc_12345xyz","type":"function_call","status":"in_progress","call_id":"call_12345xyz","name":"send_mail""#
            events.append(responsesEvent("response.output_item.added", #""output_index":1,"item":{\#(item),"arguments":""}"#, sequence: next()))
            for piece in functionArguments {
                events.append(
                    responsesEvent("response.function_call_arguments.delta", #""item_id":"fc_12345xyz","output_index":1,"delta":\#(literal(piece))"#, sequence: next())
                )
            }
            let arguments = literal(functionArguments.joined())
            events.append(
                responsesEvent("response.function_call_arguments.done", #""item_id":"fc_12345xyz","output_index":1,"arguments":\#(arguments)"#, sequence: next())
            )
            events.append(responsesEvent("response.output_item.done", #""output_index":1,"item":{\#(item),"arguments":\#(arguments)}"#, sequence: next()))
            output += #",{\#(item),"arguments":\#(arguments)}"#
        }
        events.append(
            responsesEvent("response.completed", #""response":{\#(response),"status":"completed","output":[\#(output)],"usage":{"input_tokens":36,"output_tokens":87,"total_tokens":123}}"#, sequence: next())
        )
        return events.joined()
    }

    // MARK: Gemini (`streamGenerateContent?alt=sse`)

    /// The members Google puts after `candidates` in every event, in its JSON spelling
    /// (a space after a colon, none after a comma).
    static func geminiTrailer(candidatesTokens: Int? = nil) -> String {
        let usage =
            candidatesTokens.map { #""promptTokenCount": 8,"candidatesTokenCount": \#($0),"totalTokenCount": \#(8 + $0)"# }
            ?? #""promptTokenCount": 8,"totalTokenCount": 8"#
        return #""usageMetadata": {\#(usage),"promptTokensDetails": [{"modality": "TEXT","tokenCount": 8}]},"modelVersion": "gemini-2.5-flash","responseId": "mIbTaJW3Eo6e1MkPq_ndgQ8""#
    }

    /// One `data:` event, with Google's CRLF line endings or any other.
    static func geminiEvent(_ json: String, ending: String = "\n") -> String {
        "data: \(json)\(ending)\(ending)"
    }

    /// A candidate object streaming `parts` (raw JSON part objects).
    static func geminiCandidate(_ parts: [String], index: Int? = 0, finish: String? = nil) -> String {
        let finishMember = finish.map { #","finishReason": "\#($0)""# } ?? ""
        let indexMember = index.map { #","index": \#($0)"# } ?? ""
        return #"{"content": {"parts": [\#(parts.joined(separator: ","))],"role": "model"}\#(finishMember)\#(indexMember)}"#
    }

    static func geminiTextPart(_ text: String, thought: Bool = false) -> String {
        #"{"text": \#(literal(text))\#(thought ? #","thought": true"# : "")}"#
    }

    /// One candidate streaming `pieces`; the last event carries `finishReason` and the
    /// final usage, as the Gemini API sends it.
    static func gemini(_ pieces: [String], ending: String = "\n") -> String {
        pieces.enumerated().map { position, piece in
            let isLast = position == pieces.count - 1
            let candidate = geminiCandidate([geminiTextPart(piece)], finish: isLast ? "STOP" : nil)
            let trailer = geminiTrailer(candidatesTokens: isLast ? pieces.count : nil)
            return geminiEvent(#"{"candidates": [\#(candidate)],\#(trailer)}"#, ending: ending)
        }.joined()
    }

    /// The events of a Gemini stream that carry no text: a function call with clean
    /// arguments, a finish without parts, a usage-only event, a blocked prompt, an error.
    static func geminiWithoutText(ending: String = "\n") -> String {
        let call = #"{"functionCall": {"name": "get_weather","args": {"location": "Boston, MA","unit": "celsius","days": 3,"detail": {"hourly": true,"fields": ["temp", "wind"]}},"id": "call_8f2a"},"thoughtSignature": "CiQB0e2Kb7Qh2x1Kxv9G3r3w5g=="}"#
        return [
            #"{"candidates": [\#(geminiCandidate([call]))],\#(geminiTrailer())}"#,
            #"{"candidates": [{"content": {"role": "model"},"finishReason": "STOP","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"}]}],\#(geminiTrailer(candidatesTokens: 12))}"#,
            #"{"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 12,"totalTokenCount": 20},"modelVersion": "gemini-2.5-flash","responseId": "mIbTaJW3Eo6e1MkPq_ndgQ8"}"#,
            #"{"promptFeedback": {"blockReason": "SAFETY","safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH"}]},"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8}}"#,
            #"{"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}"#,
        ].map { geminiEvent($0, ending: ending) }.joined()
    }

    /// A `GenerateContentResponse` pretty-printed the way Google streams it without
    /// `alt=sse`.
    static func geminiElement(_ text: String, finish: Bool) -> String {
        let finishMember = finish ? "\n      \"finishReason\": \"STOP\"," : ""
        return "{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n            \"text\": \(literal(text))\n          }\n        ],\n        \"role\": \"model\"\n      },\(finishMember)\n      \"index\": 0\n    }\n  ],\n  \"usageMetadata\": {\n    \"promptTokenCount\": 8,\n    \"totalTokenCount\": 8\n  },\n  \"modelVersion\": \"gemini-2.5-flash\"\n}\n"
    }

    /// `streamGenerateContent` without `alt=sse`: a JSON array of responses, one per piece,
    /// separated by `,\r\n`; the last finishes unless `finish` is false.
    static func geminiArray(_ pieces: [String], finish: Bool = true) -> String {
        "[" + pieces.enumerated().map { geminiElement($1, finish: finish && $0 == pieces.count - 1) }.joined(separator: ",\r\n") + "]"
    }

    /// The text of each candidate of a JSON array of Gemini responses (Foundation's parser).
    static func geminiArrayTexts(_ bytes: [UInt8]) -> [String: String]? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else { return nil }
        var streams: [String: String] = [:]
        for object in array {
            for (position, candidate) in (object["candidates"] as? [[String: Any]] ?? []).enumerated() {
                let parts = (candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []
                for case let text as String in parts.map({ $0["text"] }) {
                    streams["candidate\(candidate["index"] as? Int ?? position).text", default: ""] += text
                }
            }
        }
        return streams
    }

    /// A single text stream of `pieces` in the given dialect.
    static func stream(_ dialect: SSEEventMasker.Dialect, _ pieces: [String]) -> String {
        switch dialect {
        case .openAIChat: chat(pieces)
        case .openAIResponses: responses(pieces)
        case .anthropicMessages: anthropic(pieces)
        case .gemini: gemini(pieces)
        }
    }

    // MARK: Reading output

    /// The events of an SSE byte stream: (event type, data) per event with data.
    static func events(_ bytes: [UInt8]) -> [(type: String?, data: String)] {
        let text = String(decoding: bytes, as: UTF8.self)
            .replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var result: [(String?, String)] = []
        for block in text.components(separatedBy: "\n\n") {
            var type: String?
            var data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix(":") {
                let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                var value = parts.count > 1 ? String(parts[1]) : ""
                if value.hasPrefix(" ") { value.removeFirst() }
                if parts[0] == "data" { data.append(value) }
                if parts[0] == "event" { type = value }
            }
            if !data.isEmpty { result.append((type, data.joined(separator: "\n"))) }
        }
        return result
    }

    /// Reassembles every text stream of an SSE response with Foundation's JSON parser;
    /// records an issue for any data that is not JSON (other than `[DONE]`).
    static func texts(_ bytes: [UInt8], dialect: SSEEventMasker.Dialect) -> (streams: [String: String], snapshots: [String]) {
        var streams: [String: String] = [:]
        var snapshots: [String] = []
        for (_, data) in events(bytes) where data != "[DONE]" {
            guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
                streams["<invalid>", default: ""] += data
                continue
            }
            switch dialect {
            case .openAIChat:
                for choice in object["choices"] as? [[String: Any]] ?? [] {
                    let index = choice["index"] as? Int ?? -1
                    let delta = choice["delta"] as? [String: Any] ?? [:]
                    if let content = delta["content"] as? String { streams["choice\(index).content", default: ""] += content }
                    for call in delta["tool_calls"] as? [[String: Any]] ?? [] {
                        let arguments = (call["function"] as? [String: Any])?["arguments"] as? String ?? ""
                        streams["choice\(index).tool\(call["index"] as? Int ?? -1)", default: ""] += arguments
                    }
                }
            case .anthropicMessages:
                if object["type"] as? String == "content_block_delta", let delta = object["delta"] as? [String: Any] {
                    let index = object["index"] as? Int ?? -1
                    for field in ["text", "partial_json", "thinking"] {
                        if let text = delta[field] as? String { streams["block\(index)", default: ""] += text }
                    }
                }
            case .gemini:
                for (position, candidate) in (object["candidates"] as? [[String: Any]] ?? []).enumerated() {
                    let index = candidate["index"] as? Int ?? position
                    let parts = (candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []
                    for part in parts {
                        guard let text = part["text"] as? String else { continue }
                        let kind = part["thought"] as? Bool == true ? "thought" : "text"
                        streams["candidate\(index).\(kind)", default: ""] += text
                    }
                }
            case .openAIResponses:
                let type = object["type"] as? String ?? ""
                if type.hasSuffix(".delta"), let delta = object["delta"] as? String {
                    streams["\(type).\(object["output_index"] as? Int ?? -1)", default: ""] += delta
                }
                if type == "response.output_text.done", let text = object["text"] as? String { snapshots.append(text) }
                if type == "response.function_call_arguments.done", let text = object["arguments"] as? String {
                    snapshots.append(text)
                }
            }
        }
        return (streams, snapshots)
    }
}
