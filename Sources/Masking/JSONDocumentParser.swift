/// The recursive-descent parser behind ``JSONDocument``.
///
/// Depth-limited so a hostile event cannot exhaust the stack; returns `nil` on the first
/// syntax error rather than throwing, since the caller's only reaction is to fall back
/// to plain-text masking.
struct JSONDocumentParser {
    let maximumDepth: Int
    private var nodes: [JSONDocument.Node] = []
    private var index = 0

    /// Creates a parser.
    ///
    /// - Parameters:
    ///   - maximumDepth: The deepest nesting accepted.
    init(maximumDepth: Int) {
        self.maximumDepth = maximumDepth
    }

    /// Parses one value surrounded by optional whitespace.
    ///
    /// - Parameters:
    ///   - input: The JSON text.
    /// - Returns: The nodes in document order, or `nil` if the text is malformed.
    mutating func parse(_ input: UnsafeBufferPointer<UInt8>) -> [JSONDocument.Node]? {
        nodes = []
        nodes.reserveCapacity(32)
        index = 0
        skipWhitespace(input)
        guard value(input, parent: -1, key: nil, memberStart: index, depth: 0) != nil else { return nil }
        skipWhitespace(input)
        return index == input.count ? nodes : nil
    }

    private mutating func skipWhitespace(_ input: UnsafeBufferPointer<UInt8>) {
        while index < input.count {
            switch input[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Parses the value at `index` and returns its node index.
    private mutating func value(
        _ input: UnsafeBufferPointer<UInt8>,
        parent: Int,
        key: String?,
        memberStart: Int,
        depth: Int
    ) -> Int? {
        guard index < input.count, depth <= maximumDepth else { return nil }
        let start = index
        let node = nodes.count
        nodes.append(JSONDocument.Node(kind: .null, range: start..<start, key: key, memberStart: memberStart, parent: parent))
        switch input[index] {
        case 0x7B:
            nodes[node].kind = .object
            guard object(input, node: node, depth: depth) else { return nil }
        case 0x5B:
            nodes[node].kind = .array
            guard array(input, node: node, depth: depth) else { return nil }
        case 0x22:
            nodes[node].kind = .string
            guard let hasEscapes = string(input) else { return nil }
            nodes[node].hasEscapes = hasEscapes
        case 0x74:
            nodes[node].kind = .boolean
            guard literal(input, "true") else { return nil }
        case 0x66:
            nodes[node].kind = .boolean
            guard literal(input, "false") else { return nil }
        case 0x6E:
            guard literal(input, "null") else { return nil }
        case 0x2D, 0x30...0x39:
            nodes[node].kind = .number
            index += 1
            while index < input.count, Self.isNumberByte(input[index]) { index += 1 }
        default:
            return nil
        }
        nodes[node].range = start..<index
        return node
    }

    private mutating func object(_ input: UnsafeBufferPointer<UInt8>, node: Int, depth: Int) -> Bool {
        index += 1
        skipWhitespace(input)
        if index < input.count, input[index] == 0x7D {
            index += 1
            return true
        }
        var previous = -1
        while true {
            skipWhitespace(input)
            let memberStart = index
            guard index < input.count, input[index] == 0x22, let hasEscapes = string(input) else { return false }
            let name = input[(memberStart + 1)..<(index - 1)]
            let key = hasEscapes ? JSONLiteral.decode(name) : Array(name)
            skipWhitespace(input)
            guard index < input.count, input[index] == 0x3A else { return false }
            index += 1
            skipWhitespace(input)
            let keyString = String(decoding: key, as: UTF8.self)
            guard let child = value(input, parent: node, key: keyString, memberStart: memberStart, depth: depth + 1) else {
                return false
            }
            link(child, to: node, after: previous)
            previous = child
            skipWhitespace(input)
            guard index < input.count else { return false }
            if input[index] == 0x2C {
                index += 1
            } else if input[index] == 0x7D {
                index += 1
                return true
            } else {
                return false
            }
        }
    }

    private mutating func array(_ input: UnsafeBufferPointer<UInt8>, node: Int, depth: Int) -> Bool {
        index += 1
        skipWhitespace(input)
        if index < input.count, input[index] == 0x5D {
            index += 1
            return true
        }
        var previous = -1
        while true {
            skipWhitespace(input)
            guard let child = value(input, parent: node, key: nil, memberStart: index, depth: depth + 1) else { return false }
            link(child, to: node, after: previous)
            previous = child
            skipWhitespace(input)
            guard index < input.count else { return false }
            if input[index] == 0x2C {
                index += 1
            } else if input[index] == 0x5D {
                index += 1
                return true
            } else {
                return false
            }
        }
    }

    private mutating func link(_ child: Int, to parent: Int, after previous: Int) {
        if previous < 0 {
            nodes[parent].firstChild = child
        } else {
            nodes[previous].nextSibling = child
        }
    }

    /// Scans a string starting at its opening quote; returns whether it had escapes.
    private mutating func string(_ input: UnsafeBufferPointer<UInt8>) -> Bool? {
        index += 1
        var hasEscapes = false
        while index < input.count {
            let byte = input[index]
            switch byte {
            case 0x22:
                index += 1
                return hasEscapes
            case 0x5C:
                hasEscapes = true
                guard index + 1 < input.count else { return nil }
                switch input[index + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    index += 2
                case 0x75:
                    guard index + 5 < input.count else { return nil }
                    for offset in 2...5 where !ASCII.isHex(input[index + offset]) { return nil }
                    index += 6
                default:
                    return nil
                }
            case 0x00..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    private mutating func literal(_ input: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        let matches = word.withUTF8Buffer { expected in
            index + expected.count <= input.count && (0..<expected.count).allSatisfy { input[index + $0] == expected[$0] }
        }
        guard matches else { return false }
        let count = word.withUTF8Buffer { $0.count }
        index += count
        return true
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || byte == 0x2E || byte == 0x65 || byte == 0x45 || byte == 0x2B || byte == 0x2D
    }
}
