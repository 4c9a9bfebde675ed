/// Short ids a person can read aloud and type: a prefix and six characters from an alphabet
/// without look-alikes (no 0/O, 1/I/L, U), e.g. `apr-7KQ2M9`.
enum ShortID {
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// A random id with `prefix`; 30⁶ ≈ 729 million values.
    static func make(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + "-" + String((0..<6).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
