/// Several detectors reported under one rule (IPv4 and IPv6 as `IP_ADDRESS`, classic and
/// fine-grained GitHub tokens as `GITHUB_TOKEN`); the longest match wins.
///
/// Each part keeps its own start and boundary classes: the composite reads the previous
/// byte itself and consults only the parts that may start there.
struct CompositeDetector: ByteDetector {
    let parts: [any ByteDetector]
    let maximumLength: Int
    let lookahead: Int
    let leftContext: Int

    /// Creates a composite.
    ///
    /// - Parameters:
    ///   - parts: The detectors; at least one.
    init(_ parts: [any ByteDetector]) {
        self.parts = parts
        self.maximumLength = parts.map(\.maximumLength).max() ?? 0
        let window = parts.map { $0.maximumLength + $0.lookahead }.max() ?? 0
        self.lookahead = window - maximumLength
        self.leftContext = max(2, parts.map(\.leftContext).max() ?? 0)
    }

    func canStart(with byte: UInt8) -> Bool {
        parts.contains { $0.canStart(with: byte) }
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        parts.contains { $0.canStart(with: first) && $0.canStart(with: first, followedBy: second) }
    }

    func isBlocked(after byte: UInt8) -> Bool {
        parts.allSatisfy { $0.isBlocked(after: byte) }
    }

    func isBlocked(after previous: UInt8, preceded beforePrevious: UInt8) -> Bool {
        parts.allSatisfy { $0.isBlocked(after: previous, preceded: beforePrevious) }
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let byte = window.byte(at: position) else { return nil }
        let previous = window.byte(at: position - 1)
        var best: Int?
        for part in parts where part.canStart(with: byte) {
            if let previous {
                if part.isBlocked(after: previous) { continue }
                if let before = window.byte(at: position - 2), part.isBlocked(after: previous, preceded: before) {
                    continue
                }
            }
            if let length = part.match(at: position, in: &window), length <= part.maximumLength,
                length > (best ?? 0)
            {
                best = length
            }
        }
        return best
    }
}
