import Foundation

/// A derived table of an evidence export, written as CSV or JSON.
struct AuditExportTable {
    var name: String
    var columns: [String]
    var rows: [[AuditValue]] = []

    /// RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold `,` `"` CR or LF.
    /// Nulls are empty; arrays and objects are written as canonical JSON.
    func csv() throws(AuditError) -> String {
        var out = columns.map(Self.quote).joined(separator: ",") + "\r\n"
        for row in rows {
            var fields: [String] = []
            for value in row { fields.append(Self.quote(try Self.text(value))) }
            out += fields.joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// A JSON array of objects, one canonical object per line.
    func json() throws(AuditError) -> String {
        var lines: [String] = []
        for row in rows {
            let object = Dictionary(uniqueKeysWithValues: zip(columns, row))
            lines.append(try AuditValue.object(object).canonicalJSON())
        }
        return lines.isEmpty ? "[]\n" : "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }

    private static func text(_ value: AuditValue) throws(AuditError) -> String {
        switch value {
        case .null: return ""
        case .string(let text): return text
        default: return try value.canonicalJSON()
        }
    }

    private static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
