import Foundation

/// Durations as policy files write them: `90s`, `5m`, `1h`, `2d`, or combined as `1h30m`.
enum PolicyDuration {
    /// The hint every duration error ends with.
    static let hint = "write 5m, 90s or 1h (units s, m, h, d; combine as 1h30m)"

    /// Parses a duration, or returns `nil`.
    static func parse(_ text: String) -> TimeInterval? {
        var total: TimeInterval = 0
        var digits = ""
        var sawUnit = false
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let value = Int(digits), let unit = unitSeconds[character] else { return nil }
            total += TimeInterval(value) * unit
            digits = ""
            sawUnit = true
        }
        guard digits.isEmpty, sawUnit, total > 0 else { return nil }
        return total
    }

    private static let unitSeconds: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]

    /// Formats seconds the way a policy would write them: `1h30m`, `45s`.
    static func format(_ seconds: TimeInterval) -> String {
        var rest = Int(seconds.rounded())
        if rest <= 0 { return "0s" }
        var text = ""
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }
}
