extension SSEEventMasker {
    /// Masks one complete event and appends it, preceded by any flush events it causes.
    ///
    /// - Parameters:
    ///   - raw: The event's bytes, ending with its blank line's terminator.
    ///   - output: Where the output goes.
    mutating func dispatch(_ raw: [UInt8], into output: inout MaskedOutput) {
        let layout = SSEEventLayout(raw: raw, stripsByteOrderMark: isFirstEvent)
        guard layout.hasData else {
            emitPlain(raw, layout: layout, into: &output)
            return
        }
        let data = layout.data(in: raw)
        if dialect == .openAIChat, data.elementsEqual("[DONE]".utf8) {
            flush(where: { _ in true }, except: [], into: &output)
            emitPlain(raw, layout: layout, into: &output)
            return
        }
        guard let document = JSONDocument(bytes: data) else {
            unparsedEvents += 1
            emitPlain(raw, layout: layout, into: &output)
            return
        }
        let plan = dialect.plan(for: document, eventType: layout.eventType)
        if plan.hasInvalidDelta { unparsedEvents += 1 }

        // Streams this event ends without extending: flush them in events of their own.
        let fed = plan.deltas.map(\.key)
        flush(where: plan.terminates, except: fed, into: &output)

        var splices: [(range: Range<Int>, literal: [UInt8], findings: [MaskingFinding])] = []
        for (position, delta) in plan.deltas.enumerated() {
            let text = document.string(delta.node) ?? []
            let slot = streamIndex(for: delta.key, template: raw)
            var released = streams[slot].masker.feed(text)
            // A stream fed twice in one event (two Gemini text parts) ends at its last delta.
            let isLastDelta = !plan.deltas[(position + 1)...].contains { $0.key == delta.key }
            if isLastDelta, plan.terminates(delta.key) {
                released.append(streams[slot].masker.finish())
                streams.remove(at: slot)
            } else {
                streams[slot].template = raw
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
            if let key = document.effectiveKey(of: node), Self.identifierKeys.contains(key) || opaqueKeys.contains(key) {
                continue
            }
            let text = document.string(node) ?? []
            guard !text.isEmpty else { continue }
            let masked = masker.mask(text, session: session)
            guard !masked.findings.isEmpty else { continue }
            splices.append((value.range, JSONLiteral.encode(masked.bytes), masked.findings))
        }

        guard !splices.isEmpty else {
            output.bytes.append(contentsOf: raw)
            return
        }
        splices.sort { $0.range.lowerBound < $1.range.lowerBound }
        var newData: [UInt8] = []
        newData.reserveCapacity(data.count + 64)
        var position = 0
        for splice in splices {
            newData.append(contentsOf: data[position..<splice.range.lowerBound])
            newData.append(contentsOf: splice.literal)
            position = splice.range.upperBound
            output.findings.append(contentsOf: splice.findings)
        }
        newData.append(contentsOf: data[position...])
        output.bytes.append(contentsOf: layout.rebuild(raw, data: newData))
    }

    /// Emits an event masked as plain text (its blank line kept apart so a key block
    /// cannot swallow it); unchanged when nothing is found.
    private func emitPlain(_ raw: [UInt8], layout: SSEEventLayout, into output: inout MaskedOutput) {
        let body = raw[..<layout.blankLineStart]
        let masked = body.isEmpty ? MaskedOutput() : masker.mask(body, session: session)
        if masked.findings.isEmpty {
            output.bytes.append(contentsOf: raw)
        } else {
            output.append(masked)
            output.bytes.append(contentsOf: raw[layout.blankLineStart...])
        }
    }

    /// The index of the open stream `key`, opening it if needed.
    private mutating func streamIndex(for key: SSEStreamKey, template: [UInt8]) -> Int {
        if let index = streams.firstIndex(where: { $0.key == key }) { return index }
        streams.append(SSETextStream(key: key, masker: masker.makeStream(session: session), template: template))
        return streams.count - 1
    }

    /// Finishes the matching open streams, in the order they opened, and emits each
    /// one's held-back tail in a synthetic delta event.
    ///
    /// - Parameters:
    ///   - matches: Which streams to finish.
    ///   - except: Streams the current event extends (they finish inside it).
    ///   - output: Where the flush events go.
    mutating func flush(
        where matches: (SSEStreamKey) -> Bool,
        except: [SSEStreamKey],
        into output: inout MaskedOutput
    ) {
        var kept: [SSETextStream] = []
        for var stream in streams {
            guard matches(stream.key), !except.contains(stream.key) else {
                kept.append(stream)
                continue
            }
            let tail = stream.masker.finish()
            guard !tail.bytes.isEmpty || !tail.findings.isEmpty else { continue }
            output.bytes.append(contentsOf: syntheticEvent(for: stream, text: tail.bytes))
            output.findings.append(contentsOf: tail.findings)
        }
        streams = kept
    }

    /// A delta event of the stream's template shape carrying `text`: its `event` line,
    /// one data line and a blank line, with the template's line ending.
    private func syntheticEvent(for stream: SSETextStream, text: [UInt8]) -> [UInt8] {
        let raw = stream.template
        let layout = SSEEventLayout(raw: raw, stripsByteOrderMark: true)
        let literal = JSONLiteral.encode(text)
        let firstData = layout.lines.first { $0.isData }
        var lineEnding = firstData.map { Array(raw[$0.end..<$0.terminatorEnd]) } ?? [0x0A]
        if lineEnding.isEmpty { lineEnding = [0x0A] }
        let document = JSONDocument(bytes: layout.data(in: raw))
        let data =
            document.flatMap { dialect.syntheticData(from: $0, key: stream.key, literal: literal) }
            ?? Array(#"{"delta":"#.utf8) + literal + [0x7D]
        var event: [UInt8] = []
        for line in layout.lines where line.isEventType {
            event.append(contentsOf: raw[line.start..<line.terminatorEnd])
        }
        event.append(contentsOf: firstData.map { Array(raw[$0.start..<$0.valueStart]) } ?? Array("data: ".utf8))
        event.append(contentsOf: data)
        event.append(contentsOf: lineEnding)
        event.append(contentsOf: lineEnding)
        return event
    }
}
