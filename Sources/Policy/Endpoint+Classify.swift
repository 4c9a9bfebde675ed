extension Endpoint {
    /// Classifies a request path.
    ///
    /// Works on path segments, so prefixes that vary by provider (`/v1`, `/openai`,
    /// `/openai/deployments/NAME`, `/v1beta/openai`, Vertex's `projects/…/locations/…`)
    /// don't matter. Segments that carry a name chosen by a user (an Azure deployment, a
    /// model id) are skipped, so a deployment called `embeddings` cannot change the result.
    /// Gemini and Vertex put the method after a colon (`models/gemini-2.0-flash:generateContent`);
    /// Bedrock puts the model in the path (`/model/ID/converse`).
    ///
    /// - Parameters:
    ///   - path: The request path; a query string is ignored.
    ///   - provider: The provider's catalog name, when known.
    /// - Returns: The endpoint, ``other`` when nothing matches.
    public static func classify(path: String, provider: String?) -> Endpoint {
        let trimmed = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let segments = trimmed.lowercased().split(separator: "/").map(String.init)
        if segments.last?.hasSuffix("bidigeneratecontent") == true { return .realtime }  // Gemini Live (WebSocket)
        if let endpoint = classifyColonMethod(segments) { return endpoint }
        if let endpoint = classifyBedrock(segments) { return endpoint }
        return classifyBySegments(significant(segments))
    }

    /// Gemini and Vertex AI: `…/models/MODEL:method`.
    private static func classifyColonMethod(_ segments: [String]) -> Endpoint? {
        guard let last = segments.last, let colon = last.lastIndex(of: ":") else { return nil }
        let model = String(last[..<colon])
        switch last[last.index(after: colon)...] {
        case "generatecontent", "streamgeneratecontent", "counttokens", "rawpredict", "streamrawpredict":
            return .chat
        case "embedcontent", "batchembedcontents", "asyncbatchembedcontent":
            return .embeddings
        case "batchgeneratecontent":
            return .batches
        case "bidigeneratecontent":
            return .realtime
        case "predict", "predictlongrunning":
            if model.contains("imagen") || model.contains("veo") { return .images }
            if model.contains("embed") { return .embeddings }
            return .other
        default:
            return nil  // e.g. an OpenAI fine-tuned model id `ft:gpt-4o:org::id`
        }
    }

    /// Bedrock runtime: `/model/MODEL_ID/invoke|invoke-with-response-stream|converse|converse-stream`.
    private static func classifyBedrock(_ segments: [String]) -> Endpoint? {
        guard segments.count >= 3, segments[segments.count - 3] == "model" else { return nil }
        switch segments[segments.count - 1] {
        case "invoke", "invoke-with-response-stream", "converse", "converse-stream":
            let model = segments[segments.count - 2]
            if model.contains("embed") { return .embeddings }
            if model.contains("image") || model.contains("stability") || model.contains("canvas") { return .images }
            return .chat
        default:
            return nil
        }
    }

    /// Replaces the user-chosen names that follow these segments with `*`.
    private static let namedSegments: Set<String> = [
        "deployments", "engines", "projects", "locations", "publishers", "models", "model",
    ]

    private static func significant(_ segments: [String]) -> [String] {
        var result: [String] = []
        var skipNext = false
        for segment in segments {
            if skipNext {
                result.append("*")
                skipNext = false
                continue
            }
            result.append(segment)
            skipNext = namedSegments.contains(segment)
        }
        return result
    }

    /// Segment runs, most specific first; the first run found anywhere in the path decides.
    private static let patterns: [([String], Endpoint)] = [
        (["assistants"], .assistants),
        (["threads"], .assistants),
        (["vector_stores"], .assistants),
        (["messages", "batches"], .batches),
        (["messages", "count_tokens"], .chat),
        (["chat", "completions"], .chat),
        (["agents", "completions"], .chat),
        (["fim", "completions"], .completions),
        (["completions"], .completions),
        (["complete"], .completions),
        (["messages"], .chat),
        (["responses"], .responses),
        (["embeddings"], .embeddings),
        (["embed"], .embeddings),
        (["fine_tuning"], .fineTuning),
        (["fine-tuning"], .fineTuning),
        (["fine-tunes"], .fineTuning),
        (["fine_tunes"], .fineTuning),
        (["tunedmodels"], .fineTuning),
        (["tuningjobs"], .fineTuning),
        (["batches"], .batches),
        (["batch"], .batches),
        (["batchpredictionjobs"], .batches),
        (["files"], .files),
        (["uploads"], .files),
        (["images"], .images),
        (["audio"], .audio),
        (["moderations"], .moderations),
        (["realtime"], .realtime),
        (["chat"], .chat),
        (["generate"], .completions),
        (["models"], .models),
    ]

    private static func classifyBySegments(_ segments: [String]) -> Endpoint {
        for (run, endpoint) in patterns where contains(segments, run) {
            return endpoint
        }
        return .other
    }

    private static func contains(_ segments: [String], _ run: [String]) -> Bool {
        guard segments.count >= run.count else { return false }
        for start in 0...(segments.count - run.count) where Array(segments[start..<(start + run.count)]) == run {
            return true
        }
        return false
    }
}
