/// Organisation terms: exact phrases (project names, customer names, code words) matched
/// case-insensitively as whole words, longest term first.
///
/// Terms live in a byte trie so that one pass serves any number of them. Case folding is
/// ASCII-only; other bytes match exactly (UTF-8 text is compared byte for byte). A term
/// edge that is a word character (letter, digit, `_`, any non-ASCII byte) must not touch
/// another word character, so `Bluebird` does not match inside `Bluebirds`.
struct TermsDetector: ByteDetector {
    private struct Node: Sendable {
        var children: [(byte: UInt8, node: Int)] = []
        /// Whether a term ends here, and whether its last byte is a word character.
        var terminal: Bool = false
    }

    private let nodes: [Node]
    private let firstBytes: [Bool]
    private let allStartWithWordCharacter: Bool
    let maximumLength: Int
    let lookahead = 1
    let leftContext = 1

    /// Builds the trie.
    ///
    /// - Parameters:
    ///   - terms: The terms.
    /// - Throws: ``MaskingError`` with code `invalidTerm` for an empty list, an empty term
    ///   or a term longer than 256 bytes.
    init(terms: [String]) throws(MaskingError) {
        guard !terms.isEmpty else { throw MaskingError(.invalidTerm, "a terms rule needs at least one term") }
        var nodes = [Node()]
        var firstBytes = [Bool](repeating: false, count: 256)
        var maximumLength = 0
        var allStartWithWord = true
        for term in terms {
            let bytes = Array(term.utf8).map(ASCII.lowercased)
            guard let first = bytes.first, bytes.count <= 256 else {
                throw MaskingError(.invalidTerm, "term '\(term)' is empty or longer than 256 bytes; fix the rule's term list")
            }
            firstBytes[Int(first)] = true
            if ASCII.isLower(first) { firstBytes[Int(first - 0x20)] = true }
            allStartWithWord = allStartWithWord && ASCII.isWord(first)
            maximumLength = max(maximumLength, bytes.count)
            var current = 0
            for byte in bytes {
                if let next = nodes[current].children.first(where: { $0.byte == byte })?.node {
                    current = next
                } else {
                    nodes.append(Node())
                    nodes[current].children.append((byte, nodes.count - 1))
                    current = nodes.count - 1
                }
            }
            nodes[current].terminal = true
        }
        self.nodes = nodes
        self.firstBytes = firstBytes
        self.maximumLength = maximumLength
        self.allStartWithWordCharacter = allStartWithWord
    }

    func canStart(with byte: UInt8) -> Bool {
        firstBytes[Int(byte)]
    }

    func isBlocked(after byte: UInt8) -> Bool {
        allStartWithWordCharacter && ASCII.isWord(byte)
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let first = window.byte(at: position) else { return nil }
        if ASCII.isWord(first), let previous = window.byte(at: position - 1), ASCII.isWord(previous) { return nil }
        var current = 0
        var index = position
        var best: Int?
        while let byte = window.byte(at: index),
            let next = nodes[current].children.first(where: { $0.byte == ASCII.lowercased(byte) })?.node
        {
            current = next
            index += 1
            if nodes[current].terminal {
                let last = window.byte(at: index - 1) ?? 0
                if !ASCII.isWord(last) || !(window.byte(at: index).map(ASCII.isWord) ?? false) {
                    best = index - position
                }
            }
        }
        return best
    }
}
