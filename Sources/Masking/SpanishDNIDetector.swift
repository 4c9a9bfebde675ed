/// Spanish national identity numbers: DNI (`12345678Z`) and NIE (`X1234567L`).
///
/// The control letter is `TRWAGMYFPDXBNJZSQVHLCKE[number mod 23]`, where an NIE's
/// leading X, Y or Z counts as 0, 1 or 2; a random eight-digit number followed by a
/// random capital letter passes one time in 26. A single `-` or space may separate the
/// letter (`12345678-Z`).
struct SpanishDNIDetector: ByteDetector {
    let maximumLength = 10
    let lookahead = 2

    private static let letters = Array("TRWAGMYFPDXBNJZSQVHLCKE".utf8)

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isDigit(byte) || byte == 0x58 || byte == 0x59 || byte == 0x5A
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        ASCII.isDigit(second)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte == ASCII.dash || byte == ASCII.dot || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let first = window.byte(at: position) else { return nil }
        var number = 0
        var index = position
        if ASCII.isDigit(first) {
            guard window.run(from: position, limit: 9, ASCII.isDigit) == 8 else { return nil }
        } else {
            number = Int(first - 0x58)
            index += 1
            guard window.run(from: index, limit: 8, ASCII.isDigit) == 7 else { return nil }
        }
        while let byte = window.byte(at: index), ASCII.isDigit(byte) {
            number = number * 10 + ASCII.digitValue(byte)
            index += 1
        }
        if let separator = window.byte(at: index), separator == ASCII.dash || separator == ASCII.space {
            index += 1
        }
        guard let letter = window.byte(at: index), letter == Self.letters[number % 23] else { return nil }
        index += 1
        if let next = window.byte(at: index), ASCII.isAlnum(next) || next == ASCII.underscore || next >= 0x80 {
            return nil
        }
        return index - position
    }
}
