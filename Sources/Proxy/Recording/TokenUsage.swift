import Foundation

/// Token usage as the provider reported it in a response body: OpenAI's `usage` object (in the
/// JSON body, or in the last chunk of a stream with `include_usage`), Anthropic's `usage` in
/// `message_start` and `message_delta`, Gemini's `usageMetadata`.
///
/// Every `"usage":{…}` or `"usageMetadata":{…}` object found in the text is read; later integer
/// fields override earlier ones (Anthropic reports input tokens first, output tokens at the end).
enum TokenUsage {
    /// The merged integer fields of every usage object in `text`, or nil when there is none.
    static func extract(from text: String) -> [String: Int]? {
        var merged: [String: Int] = [:]
        let bytes = Array(text.utf8)
        for key in [Array(#""usage":"#.utf8), Array(#""usageMetadata":"#.utf8)] {
            var searchFrom = 0
            while let found = find(key, in: bytes, from: searchFrom) {
                var start = found + key.count
                while start < bytes.count, bytes[start] == UInt8(ascii: " ") { start += 1 }
                searchFrom = start
                guard start < bytes.count, bytes[start] == UInt8(ascii: "{"),
                    let end = matchingBrace(in: bytes, from: start),
                    let object = try? JSONSerialization.jsonObject(with: Data(bytes[start...end])) as? [String: Any]
                else { continue }
                for (name, value) in object {
                    if let count = value as? Int { merged[name] = count }
                }
                searchFrom = end + 1
            }
        }
        return merged.isEmpty ? nil : merged
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count, start <= haystack.count - needle.count else { return nil }
        let last = haystack.count - needle.count
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                var index = start
                outer: while index <= last {
                    if hay[index] == pin[0] {
                        for offset in 1..<pin.count where hay[index + offset] != pin[offset] {
                            index += 1
                            continue outer
                        }
                        return index
                    }
                    index += 1
                }
                return nil
            }
        }
    }

    /// The index of the `}` closing the object that starts at `start`, skipping strings.
    private static func matchingBrace(in bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return nil
    }
}
