/// A parsed JSON text as a flat tree of byte ranges into the original bytes.
///
/// The SSE adapter must rewrite one string value of an event and leave every other byte
/// as received; a decoded object model would lose the original spelling. This keeps, for
/// each value, where it lies (a string's range includes its quotes), so a new literal can
/// be spliced in at that position. Nodes are stored in document order (a parent before
/// its children) in one array: parsing an event costs one allocation for the nodes plus
/// one small string per object key.
struct JSONDocument: Sendable {
    /// The kind of a JSON value.
    enum Kind: Sendable, Equatable {
        case object
        case array
        case string
        case number
        /// `true` or `false`.
        case boolean
        case null
    }

    /// One value of the document.
    struct Node: Sendable {
        var kind: Kind
        /// The value's bytes; a string's include its quotes.
        var range: Range<Int>
        /// The decoded member name when the parent is an object.
        var key: String?
        /// Where the member starts (the name's opening quote) for an object member, else
        /// `range.lowerBound`.
        var memberStart: Int
        /// The parent node, `-1` for the root.
        var parent: Int
        /// The first child of an object or array, `-1` if none.
        var firstChild = -1
        /// The next child of the same parent, `-1` if none.
        var nextSibling = -1
        /// Whether a string contains a backslash escape.
        var hasEscapes = false
    }

    /// The document's bytes.
    let bytes: [UInt8]
    /// The values in document order; `nodes[0]` is the root.
    let nodes: [Node]

    /// Parses `bytes` as one JSON value surrounded by optional whitespace.
    ///
    /// Strict where the masker depends on it (string escapes, no raw control characters
    /// in strings, nesting at most `maximumDepth`); lenient about number syntax, whose
    /// bytes are never rewritten.
    ///
    /// - Parameters:
    ///   - bytes: The JSON text.
    ///   - maximumDepth: The deepest nesting accepted; deeper documents fail.
    /// - Returns: `nil` if `bytes` is not a single well-formed JSON value.
    init?(bytes: [UInt8], maximumDepth: Int = 64) {
        var parser = JSONDocumentParser(maximumDepth: maximumDepth)
        guard let nodes = bytes.withUnsafeBufferPointer({ parser.parse($0) }) else { return nil }
        self.bytes = bytes
        self.nodes = nodes
    }

    /// The children of an object or array, in order.
    ///
    /// - Parameters:
    ///   - node: The container.
    func children(of node: Int) -> [Int] {
        var result: [Int] = []
        var child = nodes[node].firstChild
        while child >= 0 {
            result.append(child)
            child = nodes[child].nextSibling
        }
        return result
    }

    /// The first member named `key` of an object, or `nil` if absent or not an object.
    ///
    /// - Parameters:
    ///   - key: The member name.
    ///   - node: The object.
    func member(_ key: String, of node: Int?) -> Int? {
        guard let node, nodes[node].kind == .object else { return nil }
        var child = nodes[node].firstChild
        while child >= 0 {
            if nodes[child].key == key { return child }
            child = nodes[child].nextSibling
        }
        return nil
    }

    /// The decoded bytes of a string value, or `nil` if `node` is not a string.
    ///
    /// - Parameters:
    ///   - node: The string.
    func string(_ node: Int?) -> [UInt8]? {
        guard let node, nodes[node].kind == .string else { return nil }
        let range = nodes[node].range
        let content = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        return nodes[node].hasEscapes ? JSONLiteral.decode(content) : Array(content)
    }

    /// A number value as an integer, or `nil` if `node` is not an integer.
    ///
    /// - Parameters:
    ///   - node: The number.
    func integer(_ node: Int?) -> Int? {
        guard let node, nodes[node].kind == .number else { return nil }
        return Int(String(decoding: bytes[nodes[node].range], as: UTF8.self))
    }

    /// Whether `node` exists and is not `null`.
    ///
    /// - Parameters:
    ///   - node: The value.
    func isPresent(_ node: Int?) -> Bool {
        guard let node else { return false }
        return nodes[node].kind != .null
    }

    /// The member key of `node` or, for an array element, of its nearest keyed ancestor.
    ///
    /// - Parameters:
    ///   - node: The value.
    func effectiveKey(of node: Int) -> String? {
        var current = node
        while current >= 0 {
            if let key = nodes[current].key { return key }
            current = nodes[current].parent
        }
        return nil
    }

    /// Rewrites an object member by member: members with a replacement get it as their
    /// value (name and separator kept as received), the others are copied raw.
    ///
    /// - Parameters:
    ///   - node: The object.
    ///   - replacement: The new value bytes for a member name, or `nil` to keep it.
    /// - Returns: The object's new bytes.
    func rewriteObject(_ node: Int, replacing replacement: (String) -> [UInt8]?) -> [UInt8] {
        var output: [UInt8] = [0x7B]
        for (position, child) in children(of: node).enumerated() {
            if position > 0 { output.append(0x2C) }
            let member = nodes[child]
            if let key = member.key, let value = replacement(key) {
                output.append(contentsOf: bytes[member.memberStart..<member.range.lowerBound])
                output.append(contentsOf: value)
            } else {
                output.append(contentsOf: bytes[member.memberStart..<member.range.upperBound])
            }
        }
        output.append(0x7D)
        return output
    }
}
