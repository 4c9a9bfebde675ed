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
                    let end = matchingBrace(in: bytes, from: start)
                else { continue }
                merged.merge(integerMembers(of: bytes[start...end])) { _, later in later }
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

    /// The members of a JSON object (`{` … `}`, complete) whose values are integers; every other
    /// member (strings, fractions, nested objects and arrays, literals) is skipped. Keys with
    /// escapes are skipped too: usage field names never have any.
    static func integerMembers(of object: ArraySlice<UInt8>) -> [String: Int] {
        var members: [String: Int] = [:]
        var index = object.startIndex + 1
        let end = object.endIndex - 1
        func skipSpace() {
            while index < end, [0x20, 0x09, 0x0A, 0x0D].contains(object[index]) { index += 1 }
        }
        while index < end {
            skipSpace()
            guard index < end, object[index] == UInt8(ascii: "\"") else { break }
            let keyStart = index + 1
            var keyEnd = keyStart
            var escaped = false
            while keyEnd < end, object[keyEnd] != UInt8(ascii: "\"") {
                if object[keyEnd] == UInt8(ascii: "\\") {
                    escaped = true
                    keyEnd += 1
                }
                keyEnd += 1
            }
            guard keyEnd < end else { break }
            index = keyEnd + 1
            skipSpace()
            guard index < end, object[index] == UInt8(ascii: ":") else { break }
            index += 1
            skipSpace()
            let valueStart = index
            var depth = 0
            var inString = false
            var stringEscape = false
            while index < end {
                let byte = object[index]
                if inString {
                    if stringEscape { stringEscape = false } else if byte == UInt8(ascii: "\\") { stringEscape = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                } else if byte == UInt8(ascii: ","), depth == 0 {
                    break
                }
                index += 1
            }
            var valueEnd = index
            while valueEnd > valueStart, [0x20, 0x09, 0x0A, 0x0D].contains(object[valueEnd - 1]) { valueEnd -= 1 }
            if !escaped, let count = Int(String(decoding: object[valueStart..<valueEnd], as: UTF8.self)) {
                members[String(decoding: object[keyStart..<keyEnd], as: UTF8.self)] = count
            }
            index += 1
        }
        return members
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
