/// Why a DNS message could not be parsed; equal by code.
public struct DNSParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A field or section runs past the end of the message.
        case truncated
        /// A compression pointer points forwards, at itself, or the pointer chain is too long.
        case badPointer
        /// A label type other than a plain label or a pointer (0x40, 0x80 prefixes).
        case badLabel
        /// A name longer than 255 octets.
        case nameTooLong
        /// An RDATA whose length disagrees with its type's layout.
        case badRecordData
    }

    public let code: Code
    /// Byte offset in the message where the problem was found.
    public let offset: Int

    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String { "malformed DNS message: \(code.rawValue) at byte \(offset)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
