/// The canonical JSON writer; the form is described on ``AuditValue``.
extension AuditValue {
    /// The canonical JSON text of this value (see ``AuditValue`` for the form).
    /// - Throws: ``AuditError`` with code `.encoding` for NaN or an infinite double.
    public func canonicalJSON() throws(AuditError) -> String {
        String(decoding: try canonicalBytes(), as: UTF8.self)
    }

    /// The canonical JSON of this value as UTF-8 bytes (see ``AuditValue`` for the form).
    /// - Throws: ``AuditError`` with code `.encoding` for NaN or an infinite double.
    public func canonicalBytes() throws(AuditError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        try Self.write(self, into: &bytes)
        return bytes
    }

    private static func write(_ value: AuditValue, into out: inout [UInt8]) throws(AuditError) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: try canonicalDouble(number).utf8)
        case .string(let text): writeString(text, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Keys in the order of their UTF-8 bytes (which is code point order).
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Runs without anything to escape (almost all of a body) are copied whole.
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                out.append(0x5C)
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A double in the shortest round-trip form, laid out as Python's `repr(float)`.
    static func canonicalDouble(_ number: Double) throws(AuditError) -> String {
        guard number.isFinite else {
            throw AuditError(.encoding, "cannot write \(number) in an audit payload: JSON has no NaN or infinity; record it as a string or null")
        }
        // Swift's description is the shortest round-trip digit string; only the layout differs.
        var text = Substring(number.description)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let eIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: eIndex)...]) ?? 0
            text = text[..<eIndex]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = parts[0]
        let fractionPart = parts.count > 1 ? parts[1] : ""
        var digits = Array(integerPart + fractionPart)
        var point = integerPart.count + exponent  // value = 0.digits × 10^point
        while let first = digits.first, first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == "0" { digits.removeLast() }
        let sign = negative ? "-" : ""
        if digits.isEmpty { return sign + "0.0" }
        let body: String
        if point <= -4 || point > 16 {
            let exp = point - 1
            let mantissa = digits.count == 1 ? String(digits) : "\(digits[0])." + String(digits[1...])
            let magnitude = String(abs(exp))
            body = mantissa + "e" + (exp < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        } else if point <= 0 {
            body = "0." + String(repeating: "0", count: -point) + String(digits)
        } else if point < digits.count {
            body = String(digits[..<point]) + "." + String(digits[point...])
        } else {
            body = String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
        }
        return sign + body
    }
}
