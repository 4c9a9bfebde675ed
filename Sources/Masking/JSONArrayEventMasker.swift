/// Masks a JSON array streamed element by element, each element an event of a provider's
/// dialect.
///
/// Gemini's `streamGenerateContent` without `alt=sse` answers `application/json`: one array,
/// `[{…}\n,\r\n{…}\n]`, each element a `GenerateContentResponse` carrying the next text delta.
/// A ``JSONStringMasker`` masks every string of it on its own, so an e-mail cut across two
/// elements would pass in two clean-looking pieces. Here each element goes through the same
/// ``EventDeltaMasker`` as an SSE event: the text streams run from element to element, a
/// value comes out masked in the element where it completes, and a stream's held-back tail
/// is flushed in a synthetic element inserted before the element that ends the stream, or
/// before the closing bracket. The brackets, commas and whitespace between elements pass
/// at once; an element without findings passes byte for byte.
///
/// Fails safe: a body that is not an array (an error object) is masked by a
/// ``JSONStringMasker`` whole; so is anything after the closing bracket, an element larger
/// than `maximumElementSize` (as it streams, its strings each on their own), an element
/// that is not JSON, and an element cut off by ``finish()``.
///
/// Contract: chunk invariance, as for ``StreamMasker``: elements are dispatched at the byte
/// that ends them. Findings are relative to what they were found in, as for
/// ``SSEEventMasker`` (a text stream, a string value, the element's raw bytes).
package struct JSONArrayEventMasker: Sendable {
    private enum State: Sendable {
        /// Before the opening `[`.
        case start
        /// Inside the array, outside elements.
        case between
        /// Inside an element.
        case element
        /// After the closing `]`, or not an array: everything goes to ``plain``.
        case plain
    }

    /// The provider's event shape.
    package let dialect: SSEEventMasker.Dialect
    private let masker: Masker
    private let session: MaskingSession
    /// The largest element held whole.
    private let maximumElementSize: Int
    private var core: EventDeltaMasker
    private var state = State.start
    /// The raw bytes of the element being received (not when oversized).
    private var element: [UInt8] = []
    /// Container nesting inside the element.
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Whether the element is a number or literal, ended by the byte after it.
    private var isBareValue = false
    /// The masker of an oversized element, or of everything in the ``State/plain`` state.
    private var plain: JSONStringMasker?
    /// Whether the last thing in the array was an element (no comma since).
    private var afterElement = false
    /// The whitespace after the last comma, repeated around a synthetic element.
    private var separator: [UInt8] = []
    private var isClosed = false
    /// Elements that were not the expected JSON: not JSON, a delta that is not a string,
    /// oversized, or cut off by ``finish()``. Each was masked string by string.
    package private(set) var unparsedElements = 0
    /// Elements larger than the maximum (also counted in ``unparsedElements``).
    package private(set) var oversizedElements = 0

    /// Creates a masker for one JSON response.
    ///
    /// - Parameters:
    ///   - dialect: The shape of the array's elements.
    ///   - masker: The engine of the response direction.
    ///   - session: The exchange's session, shared with the request's maskers.
    ///   - maximumElementSize: The largest element (raw bytes) parsed as JSON; 1 MiB.
    package init(dialect: SSEEventMasker.Dialect, masker: Masker, session: MaskingSession, maximumElementSize: Int = 1 << 20) {
        self.dialect = dialect
        self.masker = masker
        self.session = session
        self.maximumElementSize = maximumElementSize
        self.core = EventDeltaMasker(dialect: dialect, masker: masker, session: session)
    }

    /// Masks the next bytes of the body.
    ///
    /// - Parameters:
    ///   - chunk: The next bytes; any length, any split.
    /// - Returns: Bytes ready to forward: everything outside elements, every element
    ///   completed by this chunk (after its flushes), the masked part of an oversized one.
    package mutating func feed(_ chunk: some Collection<UInt8>) -> MaskedOutput {
        guard !isClosed else {
            assertionFailure("feed after finish or abort")
            return MaskedOutput()
        }
        var output = MaskedOutput()
        var pending: [UInt8] = []  // bytes for ``plain``, fed once per chunk
        var index = chunk.startIndex
        while index != chunk.endIndex {
            if state == .plain {
                pending.append(contentsOf: chunk[index...])
                break
            }
            consume(chunk[index], pending: &pending, into: &output)
            chunk.formIndex(after: &index)
        }
        if !pending.isEmpty { feedPlain(&pending, into: &output) }
        return output
    }

    /// Ends the body: flushes every open text stream in synthetic elements, then masks an
    /// element cut off before its end string by string.
    ///
    /// - Returns: The rest of the output.
    package mutating func finish() -> MaskedOutput {
        guard !isClosed else { return MaskedOutput() }
        isClosed = true
        var output = MaskedOutput()
        if state == .element, var oversized = plain {
            output.append(oversized.finish())
            plain = nil
            afterElement = true
        }
        emit(core.finish(where: { _ in true }), into: &output)
        if state == .element, !element.isEmpty {
            unparsedElements += 1
            output.append(Self.maskStrings(element, masker: masker, session: session))
        }
        if state == .plain, var rest = plain {
            output.append(rest.finish())
        }
        element = []
        plain = nil
        return output
    }

    /// Ends the body without releasing anything further: held text and an incomplete
    /// element were never proven clean and are dropped.
    package mutating func abort() {
        isClosed = true
        core.abort()
        plain = nil
        element = []
    }

    private mutating func consume(_ byte: UInt8, pending: inout [UInt8], into output: inout MaskedOutput) {
        switch state {
        case .start:
            if Self.isWhitespace(byte) {
                output.bytes.append(byte)
            } else if byte == 0x5B {
                output.bytes.append(byte)
                state = .between
            } else {
                startPlain(with: byte, pending: &pending)
            }
        case .between:
            between(byte, pending: &pending, into: &output)
        case .element:
            if isBareValue, byte == 0x2C || byte == 0x5D || Self.isWhitespace(byte) {
                endElement(pending: &pending, into: &output)
                between(byte, pending: &pending, into: &output)
                return
            }
            append(byte, pending: &pending, into: &output)
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                    if depth == 0 { endElement(pending: &pending, into: &output) }
                }
            } else if byte == 0x22 {
                inString = true
            } else if byte == 0x7B || byte == 0x5B {
                depth += 1
            } else if byte == 0x7D || byte == 0x5D {
                depth -= 1
                if depth <= 0 { endElement(pending: &pending, into: &output) }
            }
        case .plain:
            pending.append(byte)
        }
    }

    /// A byte inside the array and outside elements.
    private mutating func between(_ byte: UInt8, pending: inout [UInt8], into output: inout MaskedOutput) {
        switch byte {
        case 0x2C:
            output.bytes.append(byte)
            afterElement = false
            separator = []
        case 0x5D:
            emit(core.finish(where: { _ in true }), into: &output)
            output.bytes.append(byte)
            state = .plain
            plain = JSONStringMasker(masker: masker, session: session)
        case _ where Self.isWhitespace(byte):
            output.bytes.append(byte)
            if !afterElement { separator.append(byte) }
        default:
            state = .element
            element = [byte]
            depth = byte == 0x7B || byte == 0x5B ? 1 : 0
            inString = byte == 0x22
            escaped = false
            isBareValue = depth == 0 && !inString
        }
    }

    /// Adds a byte to the element, switching to string-by-string masking past the limit.
    private mutating func append(_ byte: UInt8, pending: inout [UInt8], into output: inout MaskedOutput) {
        if plain != nil {
            pending.append(byte)
            return
        }
        element.append(byte)
        guard element.count > maximumElementSize else { return }
        unparsedElements += 1
        oversizedElements += 1
        plain = JSONStringMasker(masker: masker, session: session)
        pending = element
        element = []
    }

    /// Ends the element: dispatched whole, or the end of an oversized one.
    private mutating func endElement(pending: inout [UInt8], into output: inout MaskedOutput) {
        if plain != nil {
            feedPlain(&pending, into: &output)
            if var oversized = plain { output.append(oversized.finish()) }
            plain = nil
        } else {
            dispatch(element, into: &output)
        }
        element = []
        state = .between
        afterElement = true
    }

    /// Masks one complete element, preceded by the synthetic elements its flushes need.
    private mutating func dispatch(_ raw: [UInt8], into output: inout MaskedOutput) {
        guard let event = core.mask(raw, eventType: nil, template: raw) else {
            unparsedElements += 1
            output.append(Self.maskStrings(raw, masker: masker, session: session))
            return
        }
        if event.hasInvalidDelta { unparsedElements += 1 }
        emit(event.flushes, into: &output)
        output.bytes.append(contentsOf: event.data ?? raw)
        output.findings.append(contentsOf: event.findings)
    }

    /// Emits flushed tails as synthetic elements, with the array's own separator.
    private func emit(_ flushes: [EventDeltaMasker.Flush], into output: inout MaskedOutput) {
        for flush in flushes {
            let literal = JSONLiteral.encode(flush.tail.bytes)
            let element =
                JSONDocument(bytes: flush.template).flatMap { dialect.syntheticData(from: $0, key: flush.key, literal: literal) }
                ?? Array(#"{"delta":"#.utf8) + literal + [0x7D]
            if afterElement {
                output.bytes += [0x2C] + separator + element
            } else {
                output.bytes += element + [0x2C] + separator
            }
            output.findings.append(contentsOf: flush.tail.findings)
        }
    }

    /// Switches to masking everything from `byte` on string by string.
    private mutating func startPlain(with byte: UInt8, pending: inout [UInt8]) {
        state = .plain
        plain = JSONStringMasker(masker: masker, session: session)
        pending.append(byte)
    }

    /// Feeds the collected bytes to ``plain``.
    private mutating func feedPlain(_ pending: inout [UInt8], into output: inout MaskedOutput) {
        guard var stream = plain, !pending.isEmpty else { return }
        output.append(stream.feed(pending))
        plain = stream
        pending = []
    }

    private static func maskStrings(_ bytes: [UInt8], masker: Masker, session: MaskingSession) -> MaskedOutput {
        var json = JSONStringMasker(masker: masker, session: session)
        var output = json.feed(bytes)
        output.append(json.finish())
        return output
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
