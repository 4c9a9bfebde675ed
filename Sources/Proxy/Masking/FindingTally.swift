import Masking

/// What masking found in one exchange, for its record: rule, entity, direction, count and
/// offsets. Never the value (invariant 1).
struct FindingTally: Sendable, Equatable {
    struct Entry: Encodable, Sendable, Equatable {
        let rule: String
        let entity: String
        let action: String
        let direction: String
        var count: Int
        /// Offsets in the direction's unmasked text stream, at most ``maximumOffsets``.
        var offsets: [Int]
    }

    static let maximumOffsets = 32
    private(set) var entries: [Entry] = []
    private(set) var isBlocking = false

    mutating func add(_ findings: [MaskingFinding], direction: MaskingDirection) {
        for finding in findings {
            // A record-only rule shapes what is written, never whether the request may go.
            isBlocking = isBlocking || (finding.isBlocking && direction != .record)
            if let index = entries.firstIndex(where: {
                $0.rule == finding.ruleID && $0.direction == direction.rawValue
            }) {
                entries[index].count += 1
                if entries[index].offsets.count < Self.maximumOffsets {
                    entries[index].offsets.append(finding.inputRange.lowerBound)
                }
            } else {
                entries.append(
                    Entry(
                        rule: finding.ruleID, entity: finding.entity.rawValue, action: finding.action.rawValue,
                        direction: direction.rawValue, count: 1, offsets: [finding.inputRange.lowerBound]))
            }
        }
    }
}
