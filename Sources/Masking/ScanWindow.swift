/// The bytes one detector may read while deciding whether a match starts at a position.
///
/// This is what makes masking chunk invariant. A detector sees the input only through
/// ``byte(at:)``, which returns `nil` below the left-context bound and at or beyond the
/// detector's window (`position + maximumLength + lookahead`) whether or not more input
/// exists. A detector is therefore a pure function of a bounded neighbourhood. When the
/// stream has not yet delivered a byte inside the window, the read returns `nil` *and*
/// marks the window starved; the masker then discards the answer and waits for more
/// input. An answer from a window that was never starved is the answer the whole text
/// would give, so the split of a stream into chunks cannot change the result.
struct ScanWindow: ~Copyable {
    /// The buffered input; index 0 is the oldest retained byte.
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Lowest index a detector may read (left context).
    let lowerBound: Int
    /// First index the detector may not read (end of its window).
    let upperBound: Int
    /// Whether `bytes` ends where the stream ends.
    let isEndOfInput: Bool
    /// Whether a read fell on a byte the stream has not delivered yet.
    private(set) var isStarved = false

    /// Creates a window.
    ///
    /// - Parameters:
    ///   - bytes: The buffered input.
    ///   - lowerBound: The lowest readable index.
    ///   - upperBound: One past the highest readable index; may exceed `bytes.count`.
    ///   - isEndOfInput: Whether no input follows `bytes`.
    init(bytes: UnsafeBufferPointer<UInt8>, lowerBound: Int, upperBound: Int, isEndOfInput: Bool) {
        self.bytes = bytes
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.isEndOfInput = isEndOfInput
    }

    /// The byte at `index`, or `nil` outside the window or past the end of input.
    ///
    /// - Parameters:
    ///   - index: A buffer index.
    @inline(__always)
    mutating func byte(at index: Int) -> UInt8? {
        if index < lowerBound || index >= upperBound { return nil }
        if index >= bytes.count {
            if !isEndOfInput { isStarved = true }
            return nil
        }
        return bytes[index]
    }

    /// Whether the bytes at `index` equal `literal` (ASCII, case-sensitive).
    ///
    /// - Parameters:
    ///   - literal: The expected bytes.
    ///   - index: Where they should start.
    mutating func matches(_ literal: StaticString, at index: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        let base = literal.utf8Start
        for offset in 0..<count {
            guard let byte = byte(at: index + offset), byte == base[offset] else { return false }
        }
        return true
    }

    /// Whether the bytes at `index` equal `literal` ignoring ASCII case; `literal` is
    /// written in lower case.
    ///
    /// - Parameters:
    ///   - literal: The expected bytes, lower-case.
    ///   - index: Where they should start.
    mutating func matchesIgnoringCase(_ literal: StaticString, at index: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        let base = literal.utf8Start
        for offset in 0..<count {
            guard let byte = byte(at: index + offset), ASCII.lowercased(byte) == base[offset] else { return false }
        }
        return true
    }

    /// Counts consecutive bytes from `index` that satisfy `predicate`, stopping at `limit`.
    ///
    /// - Parameters:
    ///   - index: Where the run starts.
    ///   - limit: The largest count of interest; the run is not read further.
    ///   - predicate: The byte class.
    mutating func run(from index: Int, limit: Int, _ predicate: (UInt8) -> Bool) -> Int {
        var count = 0
        while count < limit, let byte = byte(at: index + count), predicate(byte) {
            count += 1
        }
        return count
    }
}
