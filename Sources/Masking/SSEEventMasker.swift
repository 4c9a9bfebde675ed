/// Masks a Server-Sent Events response of an LLM provider as it streams.
///
/// Raw `text/event-stream` bytes go in, in any split; SSE bytes come out. The text an
/// event streams (a chat `delta.content`, tool call arguments, a Responses `delta`, an
/// Anthropic `text_delta`, a Gemini text part) is fed to one ``StreamMasker`` per text
/// stream, and the event is re-emitted with only that string value replaced by what the
/// stream released: the new literal is spliced into the original bytes, every other byte
/// stays as received. A value that spans events comes out in the event where it
/// completes; earlier events carry the clean prefix, possibly `""`. When a stream ends
/// (`finish_reason`, `[DONE]`, `*.done`, `content_block_stop`, `message_stop`, Gemini's
/// `finishReason`, or ``finish()``) its held-back tail is flushed in a synthetic delta
/// event emitted just before the ending event.
///
/// Gemini's function call `args` arrive whole, as a JSON object, in one event: they are
/// masked there with a ``JSONStringMasker`` (every string value, whatever its member name;
/// names and structure kept). Nothing of them is carried to another event.
///
/// Everything else fails safe rather than open: other string values of an event (a
/// Responses `*.done` snapshot, a `content_block_start` text, an error message) are
/// masked one by one, except protocol identifiers (``identifierKeys``); events whose
/// data is not JSON (`[DONE]`, comments, malformed JSON) are masked as plain text.
/// Either way an event without findings comes out byte for byte as received, line
/// endings included.
///
/// The masking of each event's JSON is ``EventDeltaMasker``'s, shared with
/// ``JSONArrayEventMasker``; this type frames events and shapes their flush events.
///
/// Contract: chunk invariance, as for ``StreamMasker``. Events are dispatched at the
/// byte that ends them and each text stream is fed whole deltas, so the output (bytes and
/// findings) does not depend on how the input was cut.
///
/// Findings: a finding from a text stream has ranges relative to the concatenated
/// decoded text of that stream (input: the original deltas; output: the re-emitted
/// deltas). A finding from another string value is relative to that value, one from
/// Gemini `args` to the raw JSON of those `args`; one from an event masked as plain text
/// (not JSON, or oversized) is relative to the event's raw bytes.
package struct SSEEventMasker: Sendable {
    /// Member names whose string values are protocol identifiers or opaque blobs, never
    /// masked outside the delta fields: masking an id or a signature breaks the client
    /// and they carry no user text.
    static let identifierKeys: Set<String> = [
        "id", "object", "model", "system_fingerprint", "service_tier", "role", "finish_reason", "stop_reason",
        "type", "status", "name", "call_id", "item_id", "response_id", "tool_call_id", "signature",
        "encrypted_content", "obfuscation", "partial_image_b64", "b64_json", "event_id",
    ]

    /// The provider's event shape.
    package let dialect: Dialect
    let masker: Masker
    let session: MaskingSession
    /// The largest event held whole; a larger one is masked as plain text as it streams.
    let maximumEventSize: Int
    /// Raw bytes of the event being received (not in oversized mode).
    var event: [UInt8] = []
    /// Bytes of the current line so far (its terminator excluded).
    var lineLength = 0
    /// Whether the last byte was a `\r` ending a line: a `\n` now belongs to it.
    var afterCarriageReturn = false
    /// Whether that `\r` ended an event already dispatched.
    var carriageReturnEndedEvent = false
    /// The plain-text masker of an event larger than ``maximumEventSize``.
    var oversized: StreamMasker?
    /// Whether the next event dispatched is the stream's first (byte order mark).
    var isFirstEvent = true
    /// The text streams and the masking of each event's JSON.
    var core: EventDeltaMasker
    var isClosed = false
    /// Events whose data was not the expected JSON: malformed, a delta that is not a
    /// string, an oversized event or an event cut off by ``finish()``. Each was masked as
    /// plain text or string by string, never passed through unmasked.
    package internal(set) var unparsedEvents = 0
    /// Events larger than ``maximumEventSize`` (also counted in ``unparsedEvents``).
    package internal(set) var oversizedEvents = 0

    /// Creates a masker for one SSE response.
    ///
    /// - Parameters:
    ///   - dialect: The provider's event shape.
    ///   - masker: The engine of the response direction.
    ///   - session: The exchange's session, shared with the request's maskers so
    ///     pseudonyms agree.
    ///   - maximumEventSize: The largest event (raw bytes) parsed as JSON; 1 MiB.
    package init(dialect: Dialect, masker: Masker, session: MaskingSession, maximumEventSize: Int = 1 << 20) {
        self.dialect = dialect
        self.masker = masker
        self.session = session
        self.maximumEventSize = maximumEventSize
        self.core = EventDeltaMasker(dialect: dialect, masker: masker, session: session)
    }

    /// Masks the next bytes of the event stream.
    ///
    /// - Parameters:
    ///   - chunk: The next raw SSE bytes; any length, any split.
    /// - Returns: SSE bytes ready to forward: every event completed by this chunk (and
    ///   the flush events before it), plus the masked part of an oversized event.
    package mutating func feed(_ chunk: some Collection<UInt8>) -> MaskedOutput {
        guard !isClosed else {
            assertionFailure("feed after finish or abort")
            return MaskedOutput()
        }
        var output = MaskedOutput()
        let consumed: Void? = chunk.withContiguousStorageIfAvailable { consume($0, into: &output) }
        if consumed == nil {
            Array(chunk).withUnsafeBufferPointer { consume($0, into: &output) }
        }
        return output
    }

    /// Ends the event stream: flushes every open text stream in a synthetic delta event,
    /// then emits an event cut off before its blank line, masked as plain text.
    ///
    /// - Returns: The rest of the output.
    package mutating func finish() -> MaskedOutput {
        guard !isClosed else { return MaskedOutput() }
        isClosed = true
        var output = MaskedOutput()
        var needsSeparator = false
        if var plain = oversized {
            output.append(plain.finish())
            oversized = nil
            needsSeparator = true
        }
        var flushes = MaskedOutput()
        flush(where: { _ in true }, into: &flushes)
        if needsSeparator, !flushes.bytes.isEmpty { output.bytes += [0x0A, 0x0A] }
        output.append(flushes)
        if !event.isEmpty {
            unparsedEvents += 1
            output.append(masker.mask(event, session: session))
            event = []
        }
        return output
    }

    /// Ends the event stream without releasing anything further: text held back by the
    /// streams and an incomplete event were never proven clean and are dropped.
    package mutating func abort() {
        isClosed = true
        core.abort()
        oversized?.abort()
        oversized = nil
        event = []
    }

    /// Splits input into lines and dispatches each event at its blank line.
    private mutating func consume(_ input: UnsafeBufferPointer<UInt8>, into output: inout MaskedOutput) {
        var index = 0
        let count = input.count
        while index < count {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if input[index] == 0x0A {
                    if carriageReturnEndedEvent {
                        output.bytes.append(0x0A)
                    } else {
                        append(UnsafeBufferPointer(rebasing: input[index..<index + 1]), into: &output)
                    }
                    index += 1
                    continue
                }
            }
            var end = index
            while end < count, input[end] != 0x0A, input[end] != 0x0D { end += 1 }
            if end > index {
                append(UnsafeBufferPointer(rebasing: input[index..<end]), into: &output)
                lineLength += end - index
            }
            guard end < count else { break }
            let terminator = input[end]
            if lineLength == 0 {
                endEvent(terminator: terminator, into: &output)
                carriageReturnEndedEvent = true
            } else {
                append(UnsafeBufferPointer(rebasing: input[end..<end + 1]), into: &output)
                lineLength = 0
                carriageReturnEndedEvent = false
            }
            afterCarriageReturn = terminator == 0x0D
            index = end + 1
        }
    }

    /// Adds bytes to the current event, switching to plain-text masking past the limit.
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout MaskedOutput) {
        if oversized != nil {
            output.append(oversized!.feed(bytes))
            return
        }
        event.append(contentsOf: bytes)
        guard event.count > maximumEventSize else { return }
        unparsedEvents += 1
        oversizedEvents += 1
        var plain = masker.makeStream(session: session)
        output.append(plain.feed(event))
        oversized = plain
        event = []
    }

    /// Ends the current event at a blank line whose terminator is `terminator`.
    private mutating func endEvent(terminator: UInt8, into output: inout MaskedOutput) {
        if var plain = oversized {
            output.append(plain.finish())
            output.bytes.append(terminator)
            oversized = nil
            isFirstEvent = false
            return
        }
        event.append(terminator)
        let raw = event
        event = []
        dispatch(raw, into: &output)
        isFirstEvent = false
    }
}
