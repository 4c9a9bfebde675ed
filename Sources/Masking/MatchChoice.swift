/// Picks the match to replace among the rules that match at one position.
///
/// The longest match wins; ties keep the earlier entry (higher priority, then file order),
/// because entries are offered in that order. When a credential format matches, the broad
/// heuristics' matches at the position are set aside first (see ``OverlapRole``): the
/// longest of the others wins, so a GitHub token in a URL's user part is reported as
/// `GITHUB_TOKEN` rather than swallowed, host and all, by the e-mail detector.
struct MatchChoice {
    /// Bit `k` set when entry `k` is a credential format.
    let credentials: UInt64
    /// Bit `k` set when entry `k` is a broad heuristic.
    let broad: UInt64
    private var longest: (entry: Int, length: Int)?
    private var longestNarrow: (entry: Int, length: Int)?
    private var hasCredential = false

    /// Creates an empty choice for one position.
    ///
    /// - Parameters:
    ///   - credentials: The entries whose detectors are credential formats.
    ///   - broad: The entries whose detectors are broad heuristics.
    init(credentials: UInt64, broad: UInt64) {
        self.credentials = credentials
        self.broad = broad
    }

    /// Records that entry `entry` matches `length` bytes at the position.
    ///
    /// - Parameters:
    ///   - entry: The entry index (its bit in the masks).
    ///   - length: The match length; zero-length matches are ignored.
    @inline(__always)
    mutating func offer(entry: Int, length: Int) {
        guard length > 0 else { return }
        let bit: UInt64 = 1 << UInt64(entry)
        if length > (longest?.length ?? 0) { longest = (entry, length) }
        guard broad & bit == 0 else { return }
        if length > (longestNarrow?.length ?? 0) { longestNarrow = (entry, length) }
        if credentials & bit != 0 { hasCredential = true }
    }

    /// The entry and length to replace, or `nil` when nothing matched.
    var winner: (entry: Int, length: Int)? {
        hasCredential ? longestNarrow : longest
    }
}
