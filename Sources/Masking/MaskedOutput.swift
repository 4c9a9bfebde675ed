/// Bytes a masker released, with the findings whose replacements they contain.
///
/// Returned by every `feed`, `finish` and one-shot call; concatenating the `bytes` of all
/// outputs of a stream gives the masked stream, concatenating the `findings` gives its
/// findings in stream order.
package struct MaskedOutput: Hashable, Sendable {
    /// Masked UTF-8 bytes; never ends inside a UTF-8 sequence unless the input was not
    /// valid UTF-8 or the stream finished.
    package var bytes: [UInt8]
    /// Findings whose replacement lies in `bytes`, in stream order.
    package var findings: [MaskingFinding]

    /// Creates an output.
    ///
    /// - Parameters:
    ///   - bytes: The released bytes.
    ///   - findings: The findings inside them.
    package init(bytes: [UInt8] = [], findings: [MaskingFinding] = []) {
        self.bytes = bytes
        self.findings = findings
    }

    /// The bytes decoded as UTF-8 (invalid sequences repaired), for tests and the CLI.
    package var text: String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Whether any finding requires the caller to refuse the exchange.
    package var isBlocking: Bool {
        findings.contains { $0.isBlocking }
    }

    /// Appends another output's bytes and findings.
    ///
    /// - Parameters:
    ///   - other: The output that follows this one in the stream.
    package mutating func append(_ other: MaskedOutput) {
        bytes.append(contentsOf: other.bytes)
        findings.append(contentsOf: other.findings)
    }
}
