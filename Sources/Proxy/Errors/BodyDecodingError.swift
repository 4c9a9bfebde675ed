/// A compressed body that cannot be decoded: malformed, truncated, larger than the limits allow,
/// or in a content coding Chaperone does not read.
///
/// Equal by ``code``; ``message`` says which coding failed and how, for the client's error body
/// and the exchange record (it never quotes body bytes).
struct BodyDecodingError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Backing: Hashable, Sendable {
            case malformed, truncated, tooLarge, unsupported
        }
        let backing: Backing
        /// The bytes are not a valid stream of the coding (bad header, bad block, bad checksum,
        /// data after the end).
        static let malformed = Code(backing: .malformed)
        /// The body ended before its coding's stream did.
        static let truncated = Code(backing: .truncated)
        /// Decoding would exceed the decoded-size cap or the compression-ratio cap (a
        /// decompression bomb, or simply a body too large to inspect).
        static let tooLarge = Code(backing: .tooLarge)
        /// A coding we do not decode (`zstd`, `compress`, …), or too many stacked codings.
        static let unsupported = Code(backing: .unsupported)
        var description: String { String(describing: backing) }
    }

    /// The kind of failure.
    let code: Code
    /// The coding that failed (`gzip`, `deflate`, `br`) or the one refused, as the header names it.
    let coding: String
    /// What failed, naming the coding.
    let message: String
    let file: String
    let line: Int

    init(_ code: Code, coding: String, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.coding = coding
        self.message = message
        self.file = file
        self.line = line
    }

    var description: String { message }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
