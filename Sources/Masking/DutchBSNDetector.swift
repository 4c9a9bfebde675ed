/// Dutch citizen service numbers (burgerservicenummer, BSN) next to a key word.
///
/// A BSN is nine digits passing the "11-test" (9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 mod 11).
/// One random nine-digit number in eleven passes, far too many for free text, so the
/// number must follow `BSN`, `burgerservicenummer` or `sofinummer` and a separator
/// (`BSN: 111222333`, `bsn=…`, `BSN 111222333`).
struct DutchBSNDetector: ByteDetector {
    let maximumLength = 9
    let lookahead = 2
    let context = KeywordContext(keywords: [
        .init("bsn", spaceSeparates: true),
        .init("burgerservicenummer", spaceSeparates: true),
        .init("sofinummer", spaceSeparates: true),
        .init("sofi_nummer", spaceSeparates: true),
    ])

    var leftContext: Int { context.reach }

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isDigit(byte)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        !KeywordContext.isValueDelimiter(byte)
    }

    func isBlocked(after previous: UInt8, preceded beforePrevious: UInt8) -> Bool {
        // `BSN 111222333`: a space after the key word's last letter is a separator here.
        if previous == ASCII.space && ASCII.isAlpha(beforePrevious) { return false }
        return KeywordContext.rulesOut(previous: previous, beforePrevious: beforePrevious)
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard context.precedes(position, in: &window), window.run(from: position, limit: 10, ASCII.isDigit) == 9
        else { return nil }
        if let next = window.byte(at: position + 9), ASCII.isAlpha(next) || next == ASCII.underscore || next >= 0x80 {
            return nil
        }
        var sum = 0
        for offset in 0..<9 {
            let digit = ASCII.digitValue(window.byte(at: position + offset) ?? 0x30)
            sum += offset == 8 ? -digit : (9 - offset) * digit
        }
        guard sum != 0, sum % 11 == 0 else { return nil }
        return 9
    }
}
