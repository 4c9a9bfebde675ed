/// International Bank Account Numbers (ISO 13616).
///
/// Two upper-case letters of a country in ``IBANChecksum/lengths``, two check digits and
/// the national part, exactly the country's registered length, mod-97 remainder 1.
/// Written either compact (`DE89370400440532013000`) or in the printed form with a single
/// space after every fourth character (`DE89 3704 0044 0532 0130 00`); mixed spacing is
/// not an IBAN anyone prints.
struct IBANDetector: ByteDetector {
    let maximumLength = IBANChecksum.maximumLength + (IBANChecksum.maximumLength - 1) / 4
    let lookahead = 2

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isUpper(byte)
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        IBANChecksum.length(country: first, second) != nil
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isAlnum(byte) || byte == ASCII.underscore || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard let first = window.byte(at: position), let second = window.byte(at: position + 1),
            ASCII.isUpper(second), let length = IBANChecksum.length(country: first, second),
            window.run(from: position + 2, limit: 2, ASCII.isDigit) == 2
        else { return nil }
        var compact: [UInt8] = [first, second]
        compact.reserveCapacity(length)
        for offset in 2..<4 { compact.append(window.byte(at: position + offset) ?? 0) }
        var index = position + 4
        let spaced = window.byte(at: index) == ASCII.space
        while compact.count < length {
            if spaced && compact.count % 4 == 0 {
                guard window.byte(at: index) == ASCII.space else { return nil }
                index += 1
            }
            guard let byte = window.byte(at: index), ASCII.isUpper(byte) || ASCII.isDigit(byte) else { return nil }
            compact.append(byte)
            index += 1
        }
        if let next = window.byte(at: index), ASCII.isAlnum(next) || next == ASCII.underscore { return nil }
        guard IBANChecksum.isValid(compact) else { return nil }
        return index - position
    }
}
