/// Shannon entropy of a byte string in bits per byte.
///
/// Used by the generic-secret detector: a value after `password=` that is a word or a
/// repeated pattern has low entropy, a generated secret has high entropy. For 16 random
/// base62 characters the expected value is about 3.7; English words score below 3.
enum ShannonEntropy {
    /// The entropy of `bytes` in bits per byte; 0 for an empty input.
    ///
    /// - Parameters:
    ///   - bytes: The value.
    static func bitsPerByte(_ bytes: some Collection<UInt8>) -> Double {
        guard !bytes.isEmpty else { return 0 }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { counts in
            counts.initialize(repeating: 0)
            for byte in bytes { counts[Int(byte)] += 1 }
            let total = Double(bytes.count)
            var entropy = 0.0
            for count in counts where count > 0 {
                let p = Double(count) / total
                entropy -= p * log2(p)
            }
            return entropy
        }
    }

    /// Base-2 logarithm without Foundation (natural log by series around 1).
    private static func log2(_ x: Double) -> Double {
        // Decompose x = m * 2^e with m in [1, 2), then ln(m) by atanh series.
        let exponent = Double(x.exponent)
        let mantissa = x.significand
        let y = (mantissa - 1) / (mantissa + 1)
        let y2 = y * y
        var term = y
        var sum = 0.0
        var k = 1.0
        while k < 40 {
            sum += term / k
            term *= y2
            k += 2
        }
        return exponent + 2 * sum / 0.693_147_180_559_945_3
    }
}
