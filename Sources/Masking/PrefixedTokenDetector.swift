/// A token that starts with a fixed literal and continues with a bounded run of one
/// character class, optionally with a validator (AWS access key ids, Google API keys,
/// Stripe keys, Anthropic keys).
///
/// The run is read one byte past its maximum so a longer run is rejected rather than cut:
/// a 41-character look-alike is not a 40-character key. A letter or digit outside the
/// body class right after the body (`AKIA…8`) rejects the token as well.
struct PrefixedTokenDetector: ByteDetector {
    /// The literal prefixes, e.g. `AKIA` and `ASIA`.
    let prefixes: [[UInt8]]
    /// Minimum and maximum length of the body after the prefix.
    let bodyLength: ClosedRange<Int>
    /// The body's character class.
    let body: @Sendable (UInt8) -> Bool
    /// A check on the whole token (prefix and body).
    let validate: @Sendable ([UInt8]) -> Bool
    private let firstBytes: Set<UInt8>

    let maximumLength: Int
    let lookahead = 2

    /// Creates a detector.
    ///
    /// - Parameters:
    ///   - prefixes: The literal prefixes.
    ///   - bodyLength: Allowed body lengths.
    ///   - body: The body's character class; also the class that must not follow.
    ///   - validate: A check on the whole token.
    init(
        prefixes: [String],
        bodyLength: ClosedRange<Int>,
        body: @escaping @Sendable (UInt8) -> Bool,
        validate: @escaping @Sendable ([UInt8]) -> Bool = { _ in true }
    ) {
        self.prefixes = prefixes.map { Array($0.utf8) }
        self.bodyLength = bodyLength
        self.body = body
        self.validate = validate
        self.firstBytes = Set(self.prefixes.compactMap(\.first))
        self.maximumLength = (self.prefixes.map(\.count).max() ?? 0) + bodyLength.upperBound
    }

    func canStart(with byte: UInt8) -> Bool {
        firstBytes.contains(byte)
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        prefixes.contains { $0.count < 2 || ($0[0] == first && $0[1] == second) }
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        for prefix in prefixes {
            var matched = true
            for (offset, expected) in prefix.enumerated() where window.byte(at: position + offset) != expected {
                matched = false
                break
            }
            guard matched else { continue }
            let start = position + prefix.count
            let count = window.run(from: start, limit: bodyLength.upperBound + 1, body)
            guard bodyLength.contains(count) else { continue }
            if let next = window.byte(at: start + count), ASCII.isAlnum(next) || next >= 0x80 { continue }
            var token = prefix
            for offset in 0..<count { token.append(window.byte(at: start + offset) ?? 0) }
            guard validate(token) else { continue }
            return prefix.count + count
        }
        return nil
    }
}
