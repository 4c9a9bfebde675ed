/// The lines and fields of one complete Server-Sent Event, as ranges into its raw bytes.
///
/// Parsed per the WHATWG `text/event-stream` rules: a line ends at `\n`, `\r\n` or `\r`;
/// `:` starts a comment; a field name runs to the first colon and one space after it is
/// not part of the value; a line without a colon is a field with an empty value. The raw
/// bytes end with the terminator of the blank line that ended the event (for `\r\n`,
/// only its `\r`: the `\n` arrives after the event was dispatched).
struct SSEEventLayout: Sendable {
    /// One non-blank line.
    struct Line: Sendable {
        /// Where the line starts.
        var start: Int
        /// Where the field value starts (after `name:` and an optional space).
        var valueStart: Int
        /// Where the line's content ends (its terminator starts).
        var end: Int
        /// Where the line's terminator ends.
        var terminatorEnd: Int
        /// Whether the line is a `data` field.
        var isData: Bool
        /// Whether the line is an `event` field.
        var isEventType: Bool
    }

    /// The non-blank lines, in order.
    private(set) var lines: [Line] = []
    /// Where the final blank line starts.
    private(set) var blankLineStart: Int
    /// The value of the last `event` field, or `nil` (the type is then `message`).
    private(set) var eventType: [UInt8]?

    /// Splits a complete event into lines and fields.
    ///
    /// - Parameters:
    ///   - raw: The event's bytes, ending with the blank line's terminator.
    ///   - stripsByteOrderMark: Whether this is the stream's first event, whose first line
    ///     may start with a U+FEFF byte order mark that is not part of the field name.
    init(raw: [UInt8], stripsByteOrderMark: Bool) {
        blankLineStart = max(0, raw.count - 1)
        var start = 0
        while start < blankLineStart {
            var end = start
            while end < raw.count, raw[end] != 0x0A, raw[end] != 0x0D { end += 1 }
            var terminatorEnd = min(end + 1, raw.count)
            if end < raw.count, raw[end] == 0x0D, terminatorEnd < raw.count, raw[terminatorEnd] == 0x0A {
                terminatorEnd += 1
            }
            var nameStart = start
            if stripsByteOrderMark, start == 0, end >= 3, raw[0] == 0xEF, raw[1] == 0xBB, raw[2] == 0xBF {
                nameStart = 3
            }
            var line = Line(start: start, valueStart: end, end: end, terminatorEnd: terminatorEnd, isData: false, isEventType: false)
            if nameStart < end, raw[nameStart] != ASCII.colon {
                var colon = nameStart
                while colon < end, raw[colon] != ASCII.colon { colon += 1 }
                if colon < end {
                    line.valueStart = colon + 1 < end && raw[colon + 1] == ASCII.space ? colon + 2 : colon + 1
                }
                let name = raw[nameStart..<colon]
                line.isData = name.elementsEqual("data".utf8)
                line.isEventType = name.elementsEqual("event".utf8)
                if line.isEventType { eventType = Array(raw[line.valueStart..<end]) }
            }
            lines.append(line)
            start = terminatorEnd
        }
        blankLineStart = start
    }

    /// Whether the event has at least one `data` field.
    var hasData: Bool {
        lines.contains { $0.isData }
    }

    /// The event's data: the `data` values joined by `\n`.
    ///
    /// - Parameters:
    ///   - raw: The event's bytes.
    func data(in raw: [UInt8]) -> [UInt8] {
        var data: [UInt8] = []
        var first = true
        for line in lines where line.isData {
            if !first { data.append(0x0A) }
            first = false
            data.append(contentsOf: raw[line.valueStart..<line.end])
        }
        return data
    }

    /// The event with its data replaced; every other byte is kept.
    ///
    /// `data` must have as many `\n`-separated pieces as the event has data lines (true
    /// when only string literals were replaced: a literal holds no raw newline).
    ///
    /// - Parameters:
    ///   - raw: The event's bytes.
    ///   - data: The new data.
    func rebuild(_ raw: [UInt8], data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count + data.count)
        var pieces = data.split(separator: 0x0A, omittingEmptySubsequences: false)[...]
        for line in lines {
            if line.isData, let piece = pieces.popFirst() {
                output.append(contentsOf: raw[line.start..<line.valueStart])
                output.append(contentsOf: piece)
                output.append(contentsOf: raw[line.end..<line.terminatorEnd])
            } else {
                output.append(contentsOf: raw[line.start..<line.terminatorEnd])
            }
        }
        output.append(contentsOf: raw[blankLineStart...])
        return output
    }
}
