extension SSEEventMasker.Dialect {
    /// Gemini member names whose string values are opaque to the masker: a part's thought
    /// signature (the model's encrypted reasoning, sent back on the next turn), inline
    /// media (`inlineData.data`, base64), and protocol metadata. Masking one would break
    /// the client; none carries user text.
    static let geminiOpaqueKeys: Set<String> = [
        "thoughtSignature", "data", "mimeType", "responseId", "modelVersion", "createTime", "finishReason",
    ]

    /// Member names skipped by the per-event masking of other string values, on top of
    /// ``SSEEventMasker/identifierKeys``.
    var opaqueKeys: Set<String> {
        self == .gemini ? Self.geminiOpaqueKeys : []
    }

    /// `candidates[i].content.parts[j].text`, one stream per candidate for the answer and
    /// one for its thought summaries (`"thought": true` parts); `functionCall.args`
    /// masked whole per event.
    ///
    /// A candidate is identified by its `index`, or by its position when the index is
    /// left out (proto3 JSON omits a zero). A non-null `finishReason` ends the
    /// candidate; its first answer text or function call ends its thought stream (the
    /// model thinks first, so the held end of the thoughts comes out before the answer);
    /// an `error` member ends everything.
    ///
    /// - Parameters:
    ///   - document: The event's data, a `GenerateContentResponse`.
    static func geminiPlan(_ document: JSONDocument) -> SSEDeltaPlan {
        var plan = SSEDeltaPlan()
        if document.isPresent(document.member("error", of: 0)) { plan.terminations.append(.all) }
        guard let candidates = document.member("candidates", of: 0), document.nodes[candidates].kind == .array else {
            return plan
        }
        for (position, candidate) in document.children(of: candidates).enumerated() {
            let index = document.integer(document.member("index", of: candidate)) ?? position
            var answers = false
            let parts = document.member("parts", of: document.member("content", of: candidate))
            if let parts, document.nodes[parts].kind == .array {
                for part in document.children(of: parts) {
                    if let args = document.member("args", of: document.member("functionCall", of: part)),
                        document.isPresent(args)
                    {
                        plan.documents.append(args)
                        answers = true
                    }
                    guard let text = document.member("text", of: part), document.isPresent(text) else { continue }
                    guard document.nodes[text].kind == .string else {
                        plan.hasInvalidDelta = true
                        continue
                    }
                    let isThought = isTrue(document, document.member("thought", of: part))
                    plan.deltas.append(.init(key: SSEStreamKey(field: isThought ? "thought" : "text", group: index), node: text))
                    answers = answers || !isThought
                }
            }
            if answers { plan.terminations.append(.stream(SSEStreamKey(field: "thought", group: index))) }
            if document.isPresent(document.member("finishReason", of: candidate)) {
                plan.terminations.append(.group(index))
            }
        }
        return plan
    }

    /// A flush event: one candidate with one text part carrying `literal` (marked as a
    /// thought for a thought stream), the template candidate's `role`, its `index`, and
    /// the response's identifiers. Usage, safety ratings, citations and grounding are
    /// left out: they belong to the events that carried them, and a stale
    /// `usageMetadata` after the final one would misreport the usage.
    ///
    /// - Parameters:
    ///   - document: The template event's data.
    ///   - key: The stream being flushed.
    ///   - literal: The flushed text as a JSON string literal.
    static func geminiSyntheticData(from document: JSONDocument, key: SSEStreamKey, literal: [UInt8]) -> [UInt8] {
        var role = Array(#""model""#.utf8)
        if let candidates = document.member("candidates", of: 0) {
            let candidate = document.children(of: candidates).enumerated().first { position, candidate in
                (document.integer(document.member("index", of: candidate)) ?? position) == key.group
            }?.element
            if let node = document.member("role", of: document.member("content", of: candidate)),
                document.nodes[node].kind == .string
            {
                role = Array(document.bytes[document.nodes[node].range])
            }
        }
        var data = Array(#"{"candidates":[{"content":{"parts":[{"text":"#.utf8) + literal
        if key.field == "thought" { data += Array(#","thought":true"#.utf8) }
        data += Array(#"}],"role":"#.utf8) + role + Array(#"},"index":\#(key.group)}]"#.utf8)
        for name in ["modelVersion", "responseId", "createTime"] {
            guard let node = document.member(name, of: 0), document.nodes[node].kind == .string else { continue }
            data += Array(#","\#(name)":"#.utf8) + document.bytes[document.nodes[node].range]
        }
        data.append(0x7D)
        return data
    }

    /// Whether `node` is the literal `true`.
    private static func isTrue(_ document: JSONDocument, _ node: Int?) -> Bool {
        guard let node, document.nodes[node].kind == .boolean else { return false }
        return document.bytes[document.nodes[node].range].first == UInt8(ascii: "t")
    }
}
