/// The ISO 13616 IBAN length table and ISO 7064 mod-97-10 check.
///
/// An IBAN is valid when its country has the registered length and the number formed by
/// moving the first four characters to the end and replacing letters by 10–35 leaves the
/// remainder 1 when divided by 97; one random string in 97 passes, and the length table
/// removes most of the rest.
enum IBANChecksum {
    /// Registered IBAN lengths of the countries the detector recognises.
    static let lengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
        "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
        "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
        "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
        "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
        "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
        "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
        "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
    ]

    /// The longest registered length in the table.
    static let maximumLength = 31

    /// The registered length for a two-letter country code.
    ///
    /// - Parameters:
    ///   - first: The first letter (ASCII upper case).
    ///   - second: The second letter (ASCII upper case).
    static func length(country first: UInt8, _ second: UInt8) -> Int? {
        guard ASCII.isUpper(first), ASCII.isUpper(second) else { return nil }
        let length = lengthTable[Int(first - 0x41) * 26 + Int(second - 0x41)]
        return length == 0 ? nil : length
    }

    /// ``lengths`` as a 26 × 26 table indexed by the two letters, 0 for unknown countries.
    private static let lengthTable: [Int] = {
        var table = [Int](repeating: 0, count: 26 * 26)
        for (country, length) in lengths {
            let letters = Array(country.utf8)
            table[Int(letters[0] - 0x41) * 26 + Int(letters[1] - 0x41)] = length
        }
        return table
    }()

    /// Whether a compact IBAN (upper-case letters and digits, no spaces) passes mod 97.
    ///
    /// - Parameters:
    ///   - iban: The compact IBAN bytes.
    static func isValid(_ iban: [UInt8]) -> Bool {
        guard iban.count >= 5 else { return false }
        var remainder = 0
        for byte in iban[4...] + iban[..<4] {
            if ASCII.isDigit(byte) {
                remainder = (remainder * 10 + ASCII.digitValue(byte)) % 97
            } else if ASCII.isUpper(byte) {
                remainder = (remainder * 100 + Int(byte - 0x41) + 10) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }
}
