/// IPv4 addresses in dotted-quad form.
///
/// Four decimal octets 0–255 without leading zeros. Dotted sequences that merely look
/// like an address are rejected: a longer dotted run (`1.2.3.4.5`), a letter or `v`
/// glued to either side (`v1.2.3.4`, `1.2.3.4-rc1`) and a preceding `version`, `ver`,
/// `release`, `build` or `firmware` key word (`version 1.2.3.4`, `build: 10.0.19041.1`).
/// A bare `1.2.3.4` in prose is masked: it is a valid address.
struct IPv4Detector: ByteDetector {
    let maximumLength = 15
    let lookahead = 3
    let leftContext = 16

    private static let versionWords: [[UInt8]] = ["version", "ver", "release", "build", "firmware", "v"].map {
        Array($0.utf8)
    }

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isDigit(byte)
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        ASCII.isDigit(second) || second == ASCII.dot
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.dot || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let end = Self.parse(at: position, in: &window) else { return nil }
        if let next = window.byte(at: end) {
            if ASCII.isAlpha(next) || next == ASCII.underscore || next >= 0x80 { return nil }
            if next == ASCII.dot || next == ASCII.dash, let after = window.byte(at: end + 1), ASCII.isAlnum(after) {
                // A longer dotted run, or a version suffix; an address range `a-b` is fine.
                guard next == ASCII.dash, ASCII.isDigit(after) else { return nil }
            }
        }
        if followsVersionWord(position, in: &window) { return nil }
        return end - position
    }

    /// Parses four octets at `position`; returns the end index.
    ///
    /// - Parameters:
    ///   - position: Where the first octet starts.
    ///   - window: The readable neighbourhood.
    static func parse(at position: Int, in window: inout ScanWindow) -> Int? {
        var index = position
        for octet in 0..<4 {
            if octet > 0 {
                guard window.byte(at: index) == ASCII.dot else { return nil }
                index += 1
            }
            let count = window.run(from: index, limit: 4, ASCII.isDigit)
            guard (1...3).contains(count) else { return nil }
            var value = 0
            for offset in 0..<count { value = value * 10 + ASCII.digitValue(window.byte(at: index + offset) ?? 0x30) }
            if value > 255 || (count > 1 && window.byte(at: index) == 0x30) { return nil }
            index += count
        }
        return index
    }

    private func followsVersionWord(_ position: Int, in window: inout ScanWindow) -> Bool {
        var index = position - 1
        var skipped = 0
        while skipped < 3, let byte = window.byte(at: index),
            byte == ASCII.space || byte == ASCII.colon || byte == 0x3D || byte == ASCII.tab
        {
            index -= 1
            skipped += 1
        }
        guard skipped > 0 else { return false }
        return Self.versionWords.contains { word in
            let start = index - word.count + 1
            for (offset, expected) in word.enumerated() {
                guard let byte = window.byte(at: start + offset), ASCII.lowercased(byte) == expected else { return false }
            }
            if let before = window.byte(at: start - 1), ASCII.isAlpha(before) { return false }
            return true
        }
    }
}
