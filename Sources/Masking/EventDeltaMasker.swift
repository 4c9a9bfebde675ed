/// Masks the JSON data of a provider's events one event at a time, carrying each text
/// stream from event to event.
///
/// This is what ``SSEEventMasker`` and ``JSONArrayEventMasker`` share; they only frame
/// events (SSE fields and blank lines, or the elements of a streamed JSON array) and shape
/// the flush events. For one event it finds the dialect's deltas, feeds each to its text
/// stream and splices what the stream released into the original bytes; masks values the
/// dialect marks as JSON documents (Gemini `args`) whole; and masks every other string
/// value on its own, except protocol identifiers. An event without findings is reported
/// unchanged, so its framing can pass it byte for byte.
struct EventDeltaMasker: Sendable {
    /// The held-back tail of a text stream that ended, to be sent in a flush event.
    struct Flush: Sendable {
        /// The stream.
        var key: SSEStreamKey
        /// The raw bytes of the stream's last delta event, the shape of the flush event.
        var template: [UInt8]
        /// The tail, masked, with its findings; never empty.
        var tail: MaskedOutput
    }

    /// What masking one event gave.
    struct Event: Sendable {
        /// Streams the event ends without extending, flushed; they go before the event.
        var flushes: [Flush] = []
        /// The event's new data, or `nil` when nothing in it changed.
        var data: [UInt8]?
        /// Findings inside the new data, in data order.
        var findings: [MaskingFinding] = []
        /// Whether a delta field held something other than a string or `null`.
        var hasInvalidDelta = false
    }

    let dialect: SSEEventMasker.Dialect
    let masker: Masker
    let session: MaskingSession
    /// Open text streams in the order they opened.
    private(set) var streams: [SSETextStream] = []

    /// Creates the masker of one response.
    ///
    /// - Parameters:
    ///   - dialect: The provider's event shape.
    ///   - masker: The engine of the response direction.
    ///   - session: The exchange's session.
    init(dialect: SSEEventMasker.Dialect, masker: Masker, session: MaskingSession) {
        self.dialect = dialect
        self.masker = masker
        self.session = session
    }

    /// Masks one event's data.
    ///
    /// - Parameters:
    ///   - data: The event's data (an SSE event's `data` values, an array element).
    ///   - eventType: The SSE `event` field, if any.
    ///   - template: The raw event, kept as the shape of a later flush of the streams it feeds.
    /// - Returns: The flushes, the new data and its findings; `nil` if `data` is not JSON.
    mutating func mask(_ data: [UInt8], eventType: [UInt8]?, template: [UInt8]) -> Event? {
        guard let document = JSONDocument(bytes: data) else { return nil }
        let plan = dialect.plan(for: document, eventType: eventType)
        var event = Event(hasInvalidDelta: plan.hasInvalidDelta)

        // Streams this event ends without extending: flushed in events of their own.
        event.flushes = finish(where: plan.terminates, except: plan.deltas.map(\.key))

        var splices: [(range: Range<Int>, literal: [UInt8], findings: [MaskingFinding])] = []
        for (position, delta) in plan.deltas.enumerated() {
            let text = document.string(delta.node) ?? []
            let slot = streamIndex(for: delta.key, template: template)
            var released = streams[slot].masker.feed(text)
            // A stream fed twice in one event (two Gemini text parts) ends at its last delta.
            let isLastDelta = !plan.deltas[(position + 1)...].contains { $0.key == delta.key }
            if isLastDelta, plan.terminates(delta.key) {
                released.append(streams[slot].masker.finish())
                streams.remove(at: slot)
            } else {
                streams[slot].template = template
            }
            guard released.bytes != text || !released.findings.isEmpty else { continue }
            splices.append((document.nodes[delta.node].range, JSONLiteral.encode(released.bytes), released.findings))
        }

        // Values masked whole, as JSON: keys and structure kept, every string value masked.
        var documentRanges: [Range<Int>] = []
        for node in plan.documents {
            let range = document.nodes[node].range
            documentRanges.append(range)
            var json = JSONStringMasker(masker: masker, session: session)
            var masked = json.feed(data[range])
            masked.append(json.finish())
            guard !masked.findings.isEmpty else { continue }
            splices.append((range, masked.bytes, masked.findings))
        }

        // Every other string that may hold user text is masked on its own.
        let deltaNodes = Set(plan.deltas.map(\.node))
        let opaqueKeys = dialect.opaqueKeys
        for (node, value) in document.nodes.enumerated() where value.kind == .string && !deltaNodes.contains(node) {
            if documentRanges.contains(where: { $0.contains(value.range.lowerBound) }) { continue }
            if let key = document.effectiveKey(of: node),
                SSEEventMasker.identifierKeys.contains(key) || opaqueKeys.contains(key)
            {
                continue
            }
            let text = document.string(node) ?? []
            guard !text.isEmpty else { continue }
            let masked = masker.mask(text, session: session)
            guard !masked.findings.isEmpty else { continue }
            splices.append((value.range, JSONLiteral.encode(masked.bytes), masked.findings))
        }

        guard !splices.isEmpty else { return event }
        splices.sort { $0.range.lowerBound < $1.range.lowerBound }
        var newData: [UInt8] = []
        newData.reserveCapacity(data.count + 64)
        var position = 0
        for splice in splices {
            newData.append(contentsOf: data[position..<splice.range.lowerBound])
            newData.append(contentsOf: splice.literal)
            position = splice.range.upperBound
            event.findings.append(contentsOf: splice.findings)
        }
        newData.append(contentsOf: data[position...])
        event.data = newData
        return event
    }

    /// Finishes the matching open streams, in the order they opened.
    ///
    /// - Parameters:
    ///   - matches: Which streams to finish.
    ///   - except: Streams the current event extends (they finish inside it).
    /// - Returns: The tails to flush, streams that held nothing left out.
    mutating func finish(where matches: (SSEStreamKey) -> Bool, except: [SSEStreamKey] = []) -> [Flush] {
        var kept: [SSETextStream] = []
        var flushes: [Flush] = []
        for var stream in streams {
            guard matches(stream.key), !except.contains(stream.key) else {
                kept.append(stream)
                continue
            }
            let tail = stream.masker.finish()
            guard !tail.bytes.isEmpty || !tail.findings.isEmpty else { continue }
            flushes.append(Flush(key: stream.key, template: stream.template, tail: tail))
        }
        streams = kept
        return flushes
    }

    /// Drops every open stream without releasing what it held.
    mutating func abort() {
        for index in streams.indices { streams[index].masker.abort() }
        streams = []
    }

    /// The index of the open stream `key`, opening it if needed.
    private mutating func streamIndex(for key: SSEStreamKey, template: [UInt8]) -> Int {
        if let index = streams.firstIndex(where: { $0.key == key }) { return index }
        streams.append(SSETextStream(key: key, masker: masker.makeStream(session: session), template: template))
        return streams.count - 1
    }
}
