/// E-mail addresses: `local@domain.tld`, at most 254 bytes.
///
/// The local part is the practical subset `[A-Za-z0-9._%+-]{1,64}` without leading,
/// trailing or doubled dots; the domain has at least two labels of `[A-Za-z0-9-]{1,63}`
/// that neither start nor end with `-`, and an alphabetic top-level label of 2–63
/// letters. When labels after the last alphabetic one are not valid (`a@b.com.123`) the
/// match ends at the last alphabetic label. Internationalised addresses are matched only
/// in their ASCII parts.
struct EmailDetector: ByteDetector {
    static let maximumLocalLength = 64
    let maximumLength = 254
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        Self.isLocal(byte) && byte != ASCII.dot
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        Self.isLocal(second) || second == 0x40
    }

    func isBlocked(after byte: UInt8) -> Bool {
        Self.isLocal(byte) && byte != ASCII.dot
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        // Local part.
        var index = position
        var previous: UInt8 = 0
        while let byte = window.byte(at: index), Self.isLocal(byte) {
            if byte == ASCII.dot && previous == ASCII.dot { return nil }
            previous = byte
            index += 1
            if index - position > Self.maximumLocalLength { return nil }
        }
        guard index > position, previous != ASCII.dot, window.byte(at: index) == 0x40 else { return nil }
        // Domain labels; remember where a valid top-level label ends.
        var labelStart = index + 1
        var labels = 0
        var bestEnd: Int?
        while true {
            let run = window.run(from: labelStart, limit: 64) { ASCII.isAlnum($0) || $0 == ASCII.dash }
            guard run > 0, run <= 63, window.byte(at: labelStart) != ASCII.dash else { break }
            var length = run
            while length > 0, window.byte(at: labelStart + length - 1) == ASCII.dash { length -= 1 }
            labels += 1
            let labelEnd = labelStart + length
            if labels >= 2, length >= 2, window.run(from: labelStart, limit: length, ASCII.isAlpha) == length {
                bestEnd = labelEnd
            }
            guard length == run, window.byte(at: labelEnd) == ASCII.dot,
                let next = window.byte(at: labelEnd + 1), ASCII.isAlnum(next)
            else { break }
            labelStart = labelEnd + 1
        }
        guard let end = bestEnd, end - position <= maximumLength else { return nil }
        return end - position
    }

    @inline(__always)
    static func isLocal(_ byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.dot || byte == ASCII.underscore || byte == 0x25 || byte == 0x2B
            || byte == ASCII.dash
    }
}
