/// Any JSON value: the claims of a token are an open set (GitHub's `repository`, GitLab's
/// `project_path`, an IdP's custom `groups` claim), so they are decoded without a schema.
enum JSONValue: Sendable, Hashable, Decodable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// A string as is, a number without a fractional part as an integer, a bool as
    /// `true`/`false`: how an attribute (`run_id`, `pipeline_id`) is shown.
    var text: String? {
        switch self {
        case .string(let value): return value
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }

    /// A list of strings: a JSON array of strings, or a single string as a list of one (the
    /// form `aud` and some IdPs' `groups` take).
    var strings: [String]? {
        switch self {
        case .string(let value): return [value]
        case .array(let values):
            var result: [String] = []
            for value in values {
                guard let text = value.string else { return nil }
                result.append(text)
            }
            return result
        default: return nil
        }
    }
}
