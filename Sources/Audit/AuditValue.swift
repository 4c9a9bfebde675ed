import Foundation

/// A JSON value as recorded in an audit event payload.
///
/// Payloads are written in one canonical JSON form so that the hash of an event can be
/// recomputed by anyone, in any language, from the bytes alone. The form:
///
/// - objects: keys sorted by their UTF-8 bytes (the same order as Python's sort by code point),
///   no whitespace anywhere, `{"a":1,"b":[true,null]}`;
/// - strings: only `"`, `\` and control characters below U+0020 are escaped, as RFC 8785 (JCS)
///   does: `\b \f \n \r \t` in short form, the others as `\u00XX` with lowercase hex; every
///   other character, including non-ASCII, is written as raw UTF-8;
/// - integers (``int(_:)``): decimal, no leading zeros, `-` for negatives;
/// - doubles (``double(_:)``): the shortest decimal that round-trips, laid out like Python's
///   `repr(float)`: `1.0`, `0.1`, `1e-05`, `1.5e+16` (exponent form when the decimal exponent is
///   below -4 or at least 16); NaN and infinities cannot be written and raise an error.
///
/// An auditor reproduces it with Python:
/// `json.dumps(obj, sort_keys=True, separators=(",",":"), ensure_ascii=False)`.
/// Unlike JCS, doubles keep Python's layout (`1.0`, not `1`) and keys sort by code point rather
/// than UTF-16 unit; the two differ only for keys mixing astral and U+E000–U+FFFF characters.
///
/// A Swift `String` compares by canonical equivalence, so two object keys that differ only in
/// Unicode normalisation are one key here; the proxy writes ASCII keys.
public enum AuditValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([AuditValue])
    case object([String: AuditValue])

    /// Converts any `Encodable` value through `JSONEncoder` into a payload value.
    ///
    /// Integers become ``int(_:)``; numbers with a fraction or exponent become ``double(_:)``.
    /// Dates follow `JSONEncoder`'s default strategy; encode them as strings yourself if an
    /// auditor should read them.
    /// - Parameter value: The value to convert.
    /// - Throws: ``AuditError`` with code `.encoding` when the value cannot be encoded.
    public init(encoding value: some Encodable) throws(AuditError) {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw AuditError(.encoding, "cannot encode \(type(of: value)) as JSON: \(error); make the payload type encode only strings, numbers, booleans, arrays and objects")
        }
        self = try AuditValue(parsingJSON: data)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AuditValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AuditValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension AuditValue {
    /// The member `key` of an object, or `nil` for a missing key or a non-object.
    public subscript(key: String) -> AuditValue? {
        get {
            if case .object(let members) = self { return members[key] }
            return nil
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The string, or `nil` for other values.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer (or a double with no fraction that fits), or `nil` for other values.
    public var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// The number as a double, or `nil` for other values.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The boolean, or `nil` for other values.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements of an array, or `nil` for other values.
    public var arrayValue: [AuditValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an object, or `nil` for other values.
    public var objectValue: [String: AuditValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is ``null``.
    public var isNull: Bool { self == .null }
}

extension AuditValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: AuditValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, AuditValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension AuditValue {
    /// A string value, or ``null`` for `nil`.
    static func optional(_ value: String?) -> AuditValue {
        value.map(AuditValue.string) ?? .null
    }
}
