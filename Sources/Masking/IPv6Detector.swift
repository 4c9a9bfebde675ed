/// IPv6 addresses, full (`2001:0db8:85a3:0000:0000:8a2e:0370:7334`), `::`-compressed
/// (`2001:db8::8a2e:370:7334`, `fe80::1`) and with an embedded IPv4 tail
/// (`::ffff:192.0.2.1`).
///
/// To keep C++ scopes (`ab::cd`), MAC addresses and clock times out, a compressed form
/// needs at least two explicit groups with a decimal digit among them, and an
/// uncompressed one exactly eight groups. `::1` alone is not reported (loopback).
struct IPv6Detector: ByteDetector {
    let maximumLength = 45
    let lookahead = 3

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isHex(byte) || byte == ASCII.colon
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        ASCII.isHex(second) || second == ASCII.colon
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.colon || byte == ASCII.dot || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        var index = position
        var groups = 0
        var compressed = false
        var sawDigit = false
        if window.byte(at: index) == ASCII.colon {
            guard window.byte(at: index + 1) == ASCII.colon else { return nil }
            compressed = true
            index += 2
        }
        while true {
            let count = window.run(from: index, limit: 5, ASCII.isHex)
            if count == 0 { break }
            if count > 4 { return nil }
            if window.byte(at: index + count) == ASCII.dot {
                // Embedded IPv4 tail, only after at least one group or `::`.
                guard groups > 0 || compressed, let end = IPv4Detector.parse(at: index, in: &window) else { return nil }
                groups += 2
                sawDigit = true
                index = end
                break
            }
            for offset in 0..<count where ASCII.isDigit(window.byte(at: index + offset) ?? 0) { sawDigit = true }
            groups += 1
            index += count
            guard window.byte(at: index) == ASCII.colon else { break }
            if window.byte(at: index + 1) == ASCII.colon {
                if compressed { return nil }
                compressed = true
                index += 2
            } else if let next = window.byte(at: index + 1), ASCII.isHex(next) {
                index += 1
            } else {
                break
            }
        }
        if compressed {
            guard groups >= 2, groups <= 7, sawDigit else { return nil }
        } else {
            guard groups == 8 else { return nil }
        }
        if let next = window.byte(at: index) {
            if ASCII.isAlnum(next) || next == ASCII.underscore || next >= 0x80 { return nil }
            if next == ASCII.colon, let after = window.byte(at: index + 1), ASCII.isAlnum(after) || after == ASCII.colon {
                return nil
            }
        }
        return index - position
    }
}
