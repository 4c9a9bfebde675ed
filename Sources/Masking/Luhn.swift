/// The Luhn (mod 10) check used by payment card numbers.
///
/// A card number's last digit makes the Luhn sum divisible by 10; random digit strings
/// pass one time in ten, so Luhn plus issuer prefixes and lengths keeps order numbers
/// and timestamps out of `CREDIT_CARD` findings.
enum Luhn {
    /// Whether `digits` (values 0–9, most significant first) pass the Luhn check.
    ///
    /// - Parameters:
    ///   - digits: The digit values.
    static func isValid(_ digits: some Collection<Int>) -> Bool {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return !digits.isEmpty && sum % 10 == 0
    }
}
