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
            flush(where: { _ in true }, into: &output)
            emitPlain(raw, layout: layout, into: &output)
            return
        }
        guard let event = core.mask(data, eventType: layout.eventType, template: raw) else {
            unparsedEvents += 1
            emitPlain(raw, layout: layout, into: &output)
            return
        }
        if event.hasInvalidDelta { unparsedEvents += 1 }
        emit(event.flushes, into: &output)
        guard let newData = event.data else {
            output.bytes.append(contentsOf: raw)
            return
        }
        output.bytes.append(contentsOf: layout.rebuild(raw, data: newData))
        output.findings.append(contentsOf: event.findings)
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

    /// Finishes the matching open streams, in the order they opened, and emits each
    /// one's held-back tail in a synthetic delta event.
    ///
    /// - Parameters:
    ///   - matches: Which streams to finish.
    ///   - output: Where the flush events go.
    mutating func flush(where matches: (SSEStreamKey) -> Bool, into output: inout MaskedOutput) {
        emit(core.finish(where: matches), into: &output)
    }

    /// Emits flushed tails, each in a synthetic delta event.
    private func emit(_ flushes: [EventDeltaMasker.Flush], into output: inout MaskedOutput) {
        for flush in flushes {
            output.bytes.append(contentsOf: syntheticEvent(for: flush))
            output.findings.append(contentsOf: flush.tail.findings)
        }
    }

    /// A delta event of the stream's template shape carrying its tail: the template's
    /// `event` line, one data line and a blank line, with the template's line ending.
    private func syntheticEvent(for flush: EventDeltaMasker.Flush) -> [UInt8] {
        let raw = flush.template
        let layout = SSEEventLayout(raw: raw, stripsByteOrderMark: true)
        let literal = JSONLiteral.encode(flush.tail.bytes)
        let firstData = layout.lines.first { $0.isData }
        var lineEnding = firstData.map { Array(raw[$0.end..<$0.terminatorEnd]) } ?? [0x0A]
        if lineEnding.isEmpty { lineEnding = [0x0A] }
        let document = JSONDocument(bytes: layout.data(in: raw))
        let data =
            document.flatMap { dialect.syntheticData(from: $0, key: flush.key, literal: literal) }
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
