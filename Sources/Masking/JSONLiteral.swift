/// JSON string literal encoding and decoding for the framing adapters.
enum JSONLiteral {
    /// Appends `text` as a quoted JSON string literal.
    ///
    /// Escapes `"`, `\` and control characters (the short forms where JSON has them,
    /// `\u00XX` otherwise); every other byte, non-ASCII UTF-8 included, is copied as is,
    /// so a literal is never longer than needed and valid UTF-8 stays valid.
    ///
    /// - Parameters:
    ///   - text: The decoded string bytes.
    ///   - output: Where the literal is appended.
    static func append(_ text: some Collection<UInt8>, to output: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        output.append(0x22)
        for byte in text {
            switch byte {
            case 0x22: output.append(contentsOf: [0x5C, 0x22])
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: output.append(contentsOf: [0x5C, 0x72])
            case 0x09: output.append(contentsOf: [0x5C, 0x74])
            case 0x08: output.append(contentsOf: [0x5C, 0x62])
            case 0x0C: output.append(contentsOf: [0x5C, 0x66])
            case 0x00..<0x20:
                output.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default: output.append(byte)
            }
        }
        output.append(0x22)
    }

    /// The literal for `text`, quotes included.
    ///
    /// - Parameters:
    ///   - text: The decoded string bytes.
    static func encode(_ text: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + 2)
        append(text, to: &output)
        return output
    }

    /// Decodes the content of a string literal (between the quotes) to UTF-8.
    ///
    /// Escapes must already be validated (``JSONDocumentParser`` does); a lone or
    /// mismatched surrogate decodes to U+FFFD, as in ``JSONStringMasker``.
    ///
    /// - Parameters:
    ///   - content: The raw bytes between the quotes.
    static func decode(_ content: some Collection<UInt8>) -> [UInt8] {
        let raw = Array(content)
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        var pendingHigh: UInt32?
        func flushHigh() {
            if pendingHigh != nil {
                appendScalar(0xFFFD)
                pendingHigh = nil
            }
        }
        func appendScalar(_ value: UInt32) {
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            output.append(contentsOf: UTF8.encode(scalar)!)
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == 0x5C, index + 1 < raw.count else {
                flushHigh()
                output.append(byte)
                index += 1
                continue
            }
            let kind = raw[index + 1]
            guard kind == 0x75, index + 5 < raw.count else {
                flushHigh()
                switch kind {
                case 0x62: output.append(0x08)
                case 0x66: output.append(0x0C)
                case 0x6E: output.append(0x0A)
                case 0x72: output.append(0x0D)
                case 0x74: output.append(0x09)
                default: output.append(kind)
                }
                index += 2
                continue
            }
            var code: UInt32 = 0
            for offset in 2...5 {
                let digit = raw[index + offset]
                let nibble: UInt32 =
                    ASCII.isDigit(digit) ? UInt32(digit - 0x30) : UInt32((digit | 0x20) - 0x61 + 10)
                code = code << 4 | nibble
            }
            index += 6
            if let high = pendingHigh {
                pendingHigh = nil
                if (0xDC00...0xDFFF).contains(code) {
                    appendScalar(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))
                    continue
                }
                appendScalar(0xFFFD)
            }
            if (0xD800...0xDBFF).contains(code) {
                pendingHigh = code
            } else {
                appendScalar((0xDC00...0xDFFF).contains(code) ? 0xFFFD : code)
            }
        }
        flushHigh()
        return output
    }
}
