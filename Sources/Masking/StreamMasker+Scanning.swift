extension StreamMasker {
    /// Decides as many positions as the buffered input allows and releases the result.
    ///
    /// At each undecided position the rules that can start there (by the byte and the byte
    /// before it) run on their bounded windows. If any of them needs input not yet
    /// received, the scan stops at that position: nothing at or after it is released. Else
    /// the longest match wins (ties: priority, then file order; a credential format sets
    /// the broad heuristics' matches aside, see ``MatchChoice``) and is replaced, or the
    /// byte is clean. Earliest start wins because positions are decided in order.
    ///
    /// - Parameters:
    ///   - isEndOfInput: Whether the buffer ends where the stream ends.
    mutating func scan(isEndOfInput: Bool) -> MaskedOutput {
        var output = MaskedOutput()
        let rules = self.rules
        let entries = rules.entries
        let credentialMask = rules.credentialMask
        let broadMask = rules.broadMask
        let bytes = buffer
        let count = bytes.count
        var index = scanIndex
        var clean = releaseIndex
        var openBlock = self.openBlock

        bytes.withUnsafeBufferPointer { input in
            rules.startMasks.withUnsafeBufferPointer { startMasks in
                rules.blockMasks.withUnsafeBufferPointer { blockMasks in
                rules.pairMasks.withUnsafeBufferPointer { pairMasks in
                rules.blockPairMasks.withUnsafeBufferPointer { blockPairMasks in
                rules.detectors.withUnsafeBufferPointer { detectors in
                rules.windows.withUnsafeBufferPointer { windows in
                rules.leftContexts.withUnsafeBufferPointer { leftContexts in
                    scanning: while index < count {
                        if let block = openBlock {
                            // Swallow up to the end marker; only '-' can start it.
                            while index < count && input[index] != ASCII.dash { index += 1 }
                            clean = index
                            guard index < count, let terminator = entries[block].detector.blockTerminator else {
                                break scanning
                            }
                            var window = ScanWindow(
                                bytes: input,
                                lowerBound: index,
                                upperBound: index + terminator.maximumLength + terminator.lookahead,
                                isEndOfInput: isEndOfInput
                            )
                            let length = terminator.match(at: index, in: &window)
                            if window.isStarved { break scanning }
                            index += length ?? 1
                            clean = index
                            if length != nil { openBlock = nil }
                            continue scanning
                        }
                        let byte = input[index]
                        // Left boundary by the previous two bytes (one at the stream start).
                        let blocked =
                            index > 1
                            ? blockPairMasks[Int(input[index - 2]) << 8 | Int(input[index - 1])]
                            : blockMasks[index == 1 ? Int(input[0]) : 256]
                        var candidates = startMasks[Int(byte)] & ~blocked
                        if candidates == 0 {
                            index += 1
                            continue scanning
                        }
                        // The pair table is exact only when the next byte is known; at the
                        // end of the buffer the detectors decide (and may starve) themselves.
                        if index + 1 < count {
                            candidates &= pairMasks[Int(byte) << 8 | Int(input[index + 1])]
                            if candidates == 0 {
                                index += 1
                                continue scanning
                            }
                        }
                        var choice = MatchChoice(credentials: credentialMask, broad: broadMask)
                        while candidates != 0 {
                            let bit = candidates.trailingZeroBitCount
                            candidates &= candidates &- 1
                            var window = ScanWindow(
                                bytes: input,
                                lowerBound: max(0, index - leftContexts[bit]),
                                upperBound: index + windows[bit],
                                isEndOfInput: isEndOfInput
                            )
                            let length = detectors[bit].match(at: index, in: &window)
                            if window.isStarved { break scanning }
                            if let length { choice.offer(entry: bit, length: length) }
                        }
                        guard let (bit, length) = choice.winner else {
                            index += 1
                            continue scanning
                        }
                        // Release the clean run, then the replacement.
                        output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[clean..<index]))
                        if recordsSegments {
                            if index > clean { segments.append(.clean(bufferOffset + clean..<bufferOffset + index)) }
                            segments.append(.replaced)
                        }
                        let rule = entries[bit].rule
                        let replacement = session.replacement(
                            for: rule,
                            value: UnsafeBufferPointer(rebasing: input[index..<index + length])
                        )
                        let outputStart = outputCount + output.bytes.count
                        output.bytes.append(contentsOf: replacement.utf8)
                        output.findings.append(
                            MaskingFinding(
                                ruleID: rule.id,
                                entity: rule.entity,
                                action: rule.action,
                                inputRange: bufferOffset + index..<bufferOffset + index + length,
                                outputRange: outputStart..<outputCount + output.bytes.count,
                                replacement: replacement
                            )
                        )
                        index += length
                        clean = index
                        if rules.opensBlock[bit] { openBlock = bit }
                    }
                    // Release the decided clean run, short of an incomplete UTF-8 sequence.
                    let end = isEndOfInput ? index : Self.utf8Boundary(before: index, from: clean, in: input)
                    if end > clean {
                        output.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: input[clean..<end]))
                        if recordsSegments { segments.append(.clean(bufferOffset + clean..<bufferOffset + end)) }
                        clean = end
                    }
                }
                }
                }
                }
                }
                }
            }
        }
        scanIndex = index
        releaseIndex = openBlock == nil ? clean : index
        self.openBlock = openBlock
        outputCount += output.bytes.count
        return output
    }

    /// The largest index `<= end` that does not cut a UTF-8 sequence still waiting for
    /// continuation bytes.
    ///
    /// - Parameters:
    ///   - end: The candidate end.
    ///   - start: The lowest index to consider.
    ///   - input: The buffer.
    static func utf8Boundary(before end: Int, from start: Int, in input: UnsafeBufferPointer<UInt8>) -> Int {
        var lead = end - 1
        while lead >= start && lead > end - 4 && ASCII.isContinuation(input[lead]) { lead -= 1 }
        guard lead >= start, lead > end - 4 else { return end }
        let byte = input[lead]
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        return lead + length > end && byte >= 0xC0 && byte < 0xF8 ? lead : end
    }
}
