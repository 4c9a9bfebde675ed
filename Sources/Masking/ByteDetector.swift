/// A hand-written recognizer for one kind of value, evaluated at candidate positions.
///
/// Detectors are small state machines over UTF-8 bytes rather than regular expressions:
/// they run on the hot path of every streamed completion, they must be strict (validators
/// such as Luhn or a CRC run inside them) and each has a known longest match, which bounds
/// how much a stream must hold back. The masker calls ``match(at:in:)`` only where
/// ``canStart(with:)`` holds and ``isBlocked(after:)`` does not, so most positions of prose
/// cost two table look-ups.
protocol ByteDetector: Sendable {
    /// The longest match in bytes.
    var maximumLength: Int { get }
    /// How many bytes after a match of maximum length the detector may read (boundary).
    var lookahead: Int { get }
    /// How many bytes before the start position the detector may read (context).
    var leftContext: Int { get }

    /// Whether a match can begin with `byte`.
    ///
    /// - Parameters:
    ///   - byte: The byte at the candidate position.
    func canStart(with byte: UInt8) -> Bool

    /// Whether a match can begin with `first` followed by `second`; a cheap pre-filter
    /// compiled into a pair table, so that prose words skip most detectors entirely.
    ///
    /// - Parameters:
    ///   - first: The byte at the candidate position.
    ///   - second: The byte after it.
    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool

    /// Whether a match cannot begin right after `byte` (a left word boundary).
    ///
    /// - Parameters:
    ///   - byte: The byte before the candidate position.
    func isBlocked(after byte: UInt8) -> Bool

    /// Whether a match cannot begin after the two bytes `beforePrevious`, `previous`; a
    /// pre-filter for detectors that need a key word and separator to their left.
    ///
    /// - Parameters:
    ///   - previous: The byte before the candidate position.
    ///   - beforePrevious: The byte before that.
    func isBlocked(after previous: UInt8, preceded beforePrevious: UInt8) -> Bool

    /// The length of the match that starts at `position`, or `nil`.
    ///
    /// The result must depend only on bytes read through `window`.
    ///
    /// - Parameters:
    ///   - position: The candidate start, a buffer index.
    ///   - window: The readable neighbourhood.
    func match(at position: Int, in window: inout ScanWindow) -> Int?

    /// For a detector whose match opens an unbounded block (a PEM private key), the
    /// detector of the block's end; the masker swallows everything up to and including it.
    var blockTerminator: (any ByteDetector)? { get }
}

extension ByteDetector {
    var lookahead: Int { 2 }
    var leftContext: Int { 0 }
    var blockTerminator: (any ByteDetector)? { nil }
    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool { true }
    func isBlocked(after previous: UInt8, preceded beforePrevious: UInt8) -> Bool { isBlocked(after: previous) }
}
