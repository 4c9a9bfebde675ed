/// A rule set compiled for one direction: detector instances in tie-break order and the
/// per-byte tables that let the scanner skip positions where no rule can start.
///
/// Immutable and shared by every stream of a daemon; a reload builds a new instance.
final class CompiledRules: Sendable {
    /// One active rule with its detector.
    struct Entry: Sendable {
        let rule: MaskingRule
        let detector: any ByteDetector
        /// `maximumLength + lookahead`: reads at or past `position + window` return `nil`.
        let window: Int
        let leftContext: Int
    }

    /// The most rules one direction can use; the start tables are 64-bit masks.
    static let maximumRuleCount = 64

    /// Active entries, highest priority first, then file order.
    let entries: [Entry]
    /// The entries' detectors, windows and left contexts as flat arrays: the scanner reads
    /// them through buffer pointers without copying an `Entry` (and its rule's strings and
    /// sets) per candidate.
    let detectors: [any ByteDetector]
    let windows: [Int]
    let leftContexts: [Int]
    let opensBlock: [Bool]
    /// Bit `k` set when entry `k` can start at the byte.
    let startMasks: [UInt64]
    /// Bit `k` set when entry `k` can start with the pair `first << 8 | second`.
    let pairMasks: [UInt64]
    /// Bit `k` set when entry `k` cannot start after the byte; index 256 is "start of stream".
    let blockMasks: [UInt64]
    /// Bit `k` set when entry `k` cannot start after the pair `beforePrevious << 8 | previous`.
    let blockPairMasks: [UInt64]
    /// Bit `k` set when entry `k` is a built-in credential format (``OverlapRole/credential``).
    let credentialMask: UInt64
    /// Bit `k` set when entry `k` is a built-in broad heuristic (``OverlapRole/broad``).
    let broadMask: UInt64
    /// Bytes of already released input kept for detectors' left context.
    let retainedContext: Int
    /// The longest possible hold-back of released output in bytes.
    let maximumHoldBack: Int

    /// Compiles the rules of `ruleSet` that apply to `direction`.
    ///
    /// - Parameters:
    ///   - ruleSet: The rules.
    ///   - direction: The direction to compile for; `nil` compiles every enabled rule
    ///     (validation only).
    /// - Throws: ``MaskingError`` for a duplicate or empty id, an invalid entity, term or
    ///   regex, an action a detector does not support, or more than 64 active rules.
    init(ruleSet: MaskingRuleSet, direction: MaskingDirection?) throws(MaskingError) {
        var seen = Set<String>()
        var active: [(order: Int, entry: Entry)] = []
        for (order, rule) in ruleSet.rules.enumerated() {
            guard !rule.id.isEmpty, rule.id.utf8.count <= 64 else {
                throw MaskingError(.invalidRule, "rule #\(order + 1) has an empty or overlong id; give it a short unique id")
            }
            guard seen.insert(rule.id).inserted else {
                throw MaskingError(.duplicateRuleID, "rule id '\(rule.id)' is used twice; rename one of them")
            }
            _ = try EntityType.validated(rule.entity.rawValue)
            let detector: any ByteDetector
            switch rule.detector {
            case .builtin(let builtin):
                detector = builtin.makeDetector()
                if builtin == .privateKey && (rule.action == .pseudonymise || rule.action == .hash) {
                    throw MaskingError(
                        .invalidRule,
                        "rule '\(rule.id)': private_key blocks support redact or block, not \(rule.action.rawValue)"
                    )
                }
            case .terms(let terms):
                detector = try TermsDetector(terms: terms)
            case .regex(let pattern, let maxLength, let caseInsensitive):
                detector = try RegexDetector(pattern: pattern, maximumLength: maxLength, caseInsensitive: caseInsensitive)
            }
            guard rule.isEnabled, direction.map(rule.directions.contains) ?? true else { continue }
            let entry = Entry(
                rule: rule,
                detector: detector,
                window: detector.maximumLength + detector.lookahead,
                leftContext: detector.leftContext
            )
            active.append((order, entry))
        }
        guard active.count <= Self.maximumRuleCount else {
            throw MaskingError(
                .tooManyRules,
                "\(active.count) rules apply to one direction, at most \(Self.maximumRuleCount) are supported; merge term lists or regex alternatives"
            )
        }
        active.sort { ($0.entry.rule.priority, -$0.order) > ($1.entry.rule.priority, -$1.order) }
        let entries = active.map(\.entry)
        var startMasks = [UInt64](repeating: 0, count: 256)
        var blockMasks = [UInt64](repeating: 0, count: 257)
        for (bit, entry) in entries.enumerated() {
            for byte in 0...255 {
                if entry.detector.canStart(with: UInt8(byte)) { startMasks[byte] |= 1 << UInt64(bit) }
                if entry.detector.isBlocked(after: UInt8(byte)) { blockMasks[byte] |= 1 << UInt64(bit) }
            }
        }
        var pairMasks = [UInt64](repeating: 0, count: 65536)
        for first in 0...255 where startMasks[first] != 0 {
            for second in 0...255 {
                var mask: UInt64 = 0
                for (bit, entry) in entries.enumerated() where startMasks[first] & (1 << UInt64(bit)) != 0 {
                    if entry.detector.canStart(with: UInt8(first), followedBy: UInt8(second)) { mask |= 1 << UInt64(bit) }
                }
                pairMasks[first << 8 | second] = mask
            }
        }
        self.pairMasks = pairMasks
        var blockPairMasks = [UInt64](repeating: 0, count: 65536)
        for previous in 0...255 {
            for before in 0...255 {
                var mask = blockMasks[previous]
                for (bit, entry) in entries.enumerated()
                where entry.detector.isBlocked(after: UInt8(previous), preceded: UInt8(before)) {
                    mask |= 1 << UInt64(bit)
                }
                blockPairMasks[before << 8 | previous] = mask
            }
        }
        self.blockPairMasks = blockPairMasks
        var terminatorWindow = 0
        for entry in entries {
            if let terminator = entry.detector.blockTerminator {
                terminatorWindow = max(terminatorWindow, terminator.maximumLength + terminator.lookahead)
            }
        }
        var credentialMask: UInt64 = 0
        var broadMask: UInt64 = 0
        for (bit, entry) in entries.enumerated() {
            guard case .builtin(let builtin) = entry.rule.detector else { continue }
            switch builtin.overlapRole {
            case .credential: credentialMask |= 1 << UInt64(bit)
            case .broad: broadMask |= 1 << UInt64(bit)
            case .ordinary: break
            }
        }
        self.credentialMask = credentialMask
        self.broadMask = broadMask
        self.entries = entries
        self.detectors = entries.map(\.detector)
        self.windows = entries.map(\.window)
        self.leftContexts = entries.map(\.leftContext)
        self.opensBlock = entries.map { $0.detector.blockTerminator != nil }
        self.startMasks = startMasks
        self.blockMasks = blockMasks
        self.retainedContext = max(2, entries.map(\.leftContext).max() ?? 0, terminatorWindow)
        // A scan stops only at a starved candidate whose window is not yet complete; three
        // more bytes may wait for the end of a UTF-8 sequence.
        self.maximumHoldBack = (entries.map(\.window).max() ?? 0) + 3
    }
}
