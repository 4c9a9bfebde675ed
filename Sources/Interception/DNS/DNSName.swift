/// A domain name as a list of raw labels, compared case-insensitively.
///
/// Labels are kept as bytes (a label may hold any octet); ``description`` is the lower-cased
/// dotted text with non-printable bytes escaped as `\DDD`, which is what host patterns match.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels, without the empty root label.
    public let labels: [[UInt8]]

    public init(labels: [[UInt8]]) {
        self.labels = labels
    }

    /// Parses dotted text (`api.openai.com`, trailing dot optional); no escapes.
    public init(_ text: String) {
        self.labels = text.split(separator: ".").map { Array($0.utf8) }
    }

    /// The lower-cased dotted form, without the trailing dot (`""` for the root).
    public var description: String {
        var text = ""
        for (index, label) in labels.enumerated() {
            if index > 0 { text.append(".") }
            for byte in label {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): text.unicodeScalars.append(Unicode.Scalar(byte + 32))
                case 0x21...0x7e where byte != UInt8(ascii: ".") && byte != UInt8(ascii: "\\"):
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
        }
        return text
    }

    /// The name without leading underscore labels (`_8443._https.api.example` → `api.example`), as
    /// SVCB owner names carry them (RFC 9460 §2.3).
    public var withoutAttrleaf: DNSName {
        DNSName(labels: Array(labels.drop { $0.first == UInt8(ascii: "_") }))
    }

    /// The length of the uncompressed wire form (labels, their length bytes and the root byte).
    var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.labels.count == rhs.labels.count else { return false }
        return zip(lhs.labels, rhs.labels).allSatisfy { Self.label($0, equals: $1) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            for byte in label { hasher.combine(Self.lower(byte)) }
            hasher.combine(0x2e as UInt8)
        }
    }

    static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    static func label(_ a: [UInt8], equals b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }
}
