import Foundation

/// What the policy and the audit log read out of a request: the model and whether it offers the
/// model tools. From the masked body (masking leaves `model` and key names alone) or the path.
enum RequestFacts {
    /// The `model` of a JSON body, else the model in a Gemini or Bedrock path
    /// (`/v1beta/models/gemini-1.5-pro:streamGenerateContent`, `/model/ID/invoke`), else nil.
    static func model(inJSON body: [UInt8], path: String) -> String? {
        if !body.isEmpty, let object = jsonObject(body), let model = object["model"] as? String { return model }
        let route = path.split(separator: "?").first.map(String.init) ?? path
        let parts = route.split(separator: "/")
        if let index = parts.firstIndex(where: { $0 == "models" || $0 == "model" }), index + 1 < parts.count {
            return String(parts[index + 1].split(separator: ":").first ?? parts[index + 1])
        }
        return nil
    }

    /// Whether a JSON body offers tools or functions (OpenAI `tools`/`functions`, Anthropic
    /// `tools`, Gemini `tools`).
    static func usesTools(inJSON body: [UInt8]) -> Bool {
        guard let object = jsonObject(body) else { return false }
        for key in ["tools", "functions"] {
            if let list = object[key] as? [Any], !list.isEmpty { return true }
        }
        return false
    }

    /// The prompt text of a JSON body, bounded: every string value joined by newlines, which is
    /// what prompt patterns are matched against.
    static func text(inJSON body: [UInt8], limit: Int = 256 * 1024) -> String? {
        guard let object = jsonObject(body) else {
            return body.isEmpty ? nil : String(decoding: body.prefix(limit), as: UTF8.self)
        }
        var pieces: [String] = []
        var size = 0
        func walk(_ value: Any) {
            guard size < limit else { return }
            if let text = value as? String {
                pieces.append(text)
                size += text.utf8.count
            } else if let list = value as? [Any] {
                list.forEach(walk)
            } else if let dictionary = value as? [String: Any] {
                for key in dictionary.keys.sorted() where key != "model" { walk(dictionary[key]!) }
            }
        }
        walk(object)
        return pieces.joined(separator: "\n")
    }

    private static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            first == UInt8(ascii: "{")
        else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}
