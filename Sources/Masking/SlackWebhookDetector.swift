/// Slack webhook URLs, whose path is the credential: whoever holds one can post to the
/// channel or start the workflow.
///
/// Three shapes, after `hooks.slack.com/` (the scheme `https://` or `http://` is part of
/// the match when present; scheme and host are case-insensitive):
/// - incoming webhook: `services/` + team id + `/` + bot id + `/` + 24 alphanumerics;
/// - Workflow Builder webhook: `workflows/` + team id + `/` + app id + `/` + a 15–20 digit
///   id + `/` + 24 alphanumerics;
/// - workflow trigger: `triggers/` + team id + `/` + a 10–20 digit id + `/` + 32 lower-case
///   hex digits.
///
/// Ids are their letter (`T`, `B`, `A`) and 8–12 of `[A-Z0-9]`. The last segment must end
/// the URL's path word: a letter or digit after it makes a different shape, rejected. At
/// most 107 bytes.
struct SlackWebhookDetector: ByteDetector {
    /// An id's characters after its letter.
    static let idLength = 8...12
    let maximumLength = 107
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        ASCII.lowercased(byte) == 0x68  // h
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        let second = ASCII.lowercased(second)
        return second == 0x74 || second == 0x6F  // t (https://), o (hooks.)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.dash || byte == ASCII.dot
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        var index = position
        if window.matchesIgnoringCase("https://", at: index) {
            index += 8
        } else if window.matchesIgnoringCase("http://", at: index) {
            index += 7
        }
        guard window.matchesIgnoringCase("hooks.slack.com/", at: index) else { return nil }
        index += 16
        var path: PathReader
        if window.matches("services/", at: index) {
            path = PathReader(index: index + 9)
            guard path.id("T", &window), path.id("B", &window), path.secret(24, ASCII.isAlnum, &window) else {
                return nil
            }
        } else if window.matches("workflows/", at: index) {
            path = PathReader(index: index + 10)
            guard path.id("T", &window), path.id("A", &window), path.digits(15...20, &window),
                path.secret(24, ASCII.isAlnum, &window)
            else { return nil }
        } else if window.matches("triggers/", at: index) {
            path = PathReader(index: index + 9)
            guard path.id("T", &window), path.digits(10...20, &window), path.secret(32, Self.isLowerHex, &window)
            else { return nil }
        } else {
            return nil
        }
        return path.index - position
    }

    @inline(__always)
    static func isLowerHex(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || byte &- 0x61 < 6
    }
}

/// A cursor over `/`-separated segments of a webhook path.
private struct PathReader {
    var index: Int

    /// An id: `letter` then 8–12 of `[A-Z0-9]`, then `/`.
    mutating func id(_ letter: StaticString, _ window: inout ScanWindow) -> Bool {
        guard window.matches(letter, at: index) else { return false }
        let count = window.run(from: index + 1, limit: SlackWebhookDetector.idLength.upperBound + 1) {
            ASCII.isUpper($0) || ASCII.isDigit($0)
        }
        guard SlackWebhookDetector.idLength.contains(count), window.byte(at: index + 1 + count) == 0x2F else {
            return false
        }
        index += 1 + count + 1
        return true
    }

    /// A numeric id of `lengths` digits, then `/`.
    mutating func digits(_ lengths: ClosedRange<Int>, _ window: inout ScanWindow) -> Bool {
        let count = window.run(from: index, limit: lengths.upperBound + 1, ASCII.isDigit)
        guard lengths.contains(count), window.byte(at: index + count) == 0x2F else { return false }
        index += count + 1
        return true
    }

    /// The final secret: exactly `length` bytes of `kind`, not followed by a letter or digit.
    mutating func secret(_ length: Int, _ kind: (UInt8) -> Bool, _ window: inout ScanWindow) -> Bool {
        guard window.run(from: index, limit: length, kind) == length else { return false }
        if let next = window.byte(at: index + length), ASCII.isAlnum(next) || next >= 0x80 { return false }
        index += length
        return true
    }
}
