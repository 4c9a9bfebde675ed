/// Masks the string values of a streamed JSON document and leaves every other byte as it
/// was.
///
/// Detection runs on the decoded text of each string value (`\u0040` is an `@`, `\n` a
/// newline), each value being its own text stream; object keys, numbers, literals and
/// structure pass through at once. Everything of a string that was not masked is written
/// back in its original encoding, escapes included, so a document without findings comes
/// out byte for byte identical; a replacement is plain ASCII and keeps the document valid
/// JSON. Input that is not JSON passes through outside strings. Chunk invariant like
/// ``StreamMasker``; findings carry offsets into the raw JSON input and output.
package struct JSONStringMasker: Sendable {
    private enum Container: Sendable { case object, array }

    private enum Escape: Sendable, Equatable {
        case none
        case backslash
        /// Collecting `\uXXXX`: digits seen, value so far, a pending high surrogate.
        case unicode(digits: Int, value: UInt32, high: UInt32?)
        /// After a high surrogate escape, expecting `\` of its low surrogate.
        case afterHigh(UInt32)
        /// After a high surrogate and `\`, expecting `u`.
        case afterHighBackslash(UInt32)
    }

    /// The string value being masked.
    private struct Value: Sendable {
        var stream: StreamMasker
        /// Raw content bytes (between the quotes) not yet written; index 0 is `rawBase`.
        var raw: [UInt8] = []
        var rawBase = 0
        /// Raw bytes written or dropped so far (string-relative).
        var rawDone = 0
        /// For each decoded byte from `decodedBase`: the raw offset where it ends.
        var rawEnds: [Int] = []
        var decodedBase = 0
        /// Decoded bytes not yet fed to the stream.
        var pending: [UInt8] = []
        /// Raw offset (string-relative) where the current escape started.
        var escapeStart = 0
        var escape = Escape.none
        /// Stream offset of the value's first content byte in the JSON input.
        var inputStart: Int
    }

    private let masker: Masker
    private let session: MaskingSession
    private var containers: [Container] = []
    private var expectsKey = false
    private var inKey = false
    private var keyEscaped = false
    private var value: Value?
    private var inputCount = 0
    private var outputCount = 0

    /// Creates a JSON masker for one document stream.
    ///
    /// - Parameters:
    ///   - masker: The engine of the stream's direction.
    ///   - session: The session shared with the exchange's other streams.
    package init(masker: Masker, session: MaskingSession) {
        self.masker = masker
        self.session = session
    }

    /// Masks the next chunk of JSON.
    ///
    /// - Parameters:
    ///   - chunk: The next bytes; any split.
    /// - Returns: JSON bytes proven clean or masked so far, with findings.
    package mutating func feed(_ chunk: some Collection<UInt8>) -> MaskedOutput {
        var output = MaskedOutput()
        output.bytes.reserveCapacity(chunk.count)
        let contiguous: Void? = chunk.withContiguousStorageIfAvailable { feed(bytes: $0, into: &output) }
        if contiguous == nil {
            Array(chunk).withUnsafeBufferPointer { feed(bytes: $0, into: &output) }
        }
        if value != nil { drain(isEnd: false, into: &output) }
        outputCount += output.bytes.count
        return output
    }

    /// Walks one chunk. Runs of bytes that change no state (structure-free text outside strings,
    /// unescaped text inside a key or a value) are taken whole; every other byte goes through
    /// ``consume(_:into:)`` one at a time. The result is the same as feeding byte by byte.
    private mutating func feed(bytes: UnsafeBufferPointer<UInt8>, into output: inout MaskedOutput) {
        var index = 0
        while index < bytes.count {
            let run: Int
            if value != nil {
                run = value?.escape == Escape.none ? Self.plainRun(bytes, from: index) : 0
                if run > 0 { appendToValue(UnsafeBufferPointer(rebasing: bytes[index..<index + run])) }
            } else if inKey {
                run = keyEscaped ? 0 : Self.plainRun(bytes, from: index)
                if run > 0 { output.bytes.append(contentsOf: bytes[index..<index + run]) }
            } else {
                run = Self.structureFreeRun(bytes, from: index)
                if run > 0 { output.bytes.append(contentsOf: bytes[index..<index + run]) }
            }
            if run > 0 {
                index += run
                inputCount += run
                continue
            }
            consume(bytes[index], into: &output)
            inputCount += 1
            index += 1
        }
    }

    /// How many bytes from `start` are neither `"` nor `\`.
    private static func plainRun(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var end = start
        while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5C { end += 1 }
        return end - start
    }

    /// How many bytes from `start` are none of `" { } [ ] , :` (outside strings, nothing else matters).
    private static func structureFreeRun(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var end = start
        while end < bytes.count {
            switch bytes[end] {
            case 0x22, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A: return end - start
            default: end += 1
            }
        }
        return end - start
    }

    /// Appends unescaped content bytes to the value: each decodes to itself.
    private mutating func appendToValue(_ run: UnsafeBufferPointer<UInt8>) {
        guard var current = value else { return }
        value = nil  // as in consumeInValue: no copy of the arrays while mutating
        let rawOffset = current.rawBase + current.raw.count
        current.raw.append(contentsOf: run)
        current.pending.append(contentsOf: run)
        current.rawEnds.append(contentsOf: (rawOffset + 1)...(rawOffset + run.count))
        value = current
    }

    /// Ends the document; an unterminated string value is masked as it stands.
    ///
    /// - Returns: The rest of the output.
    package mutating func finish() -> MaskedOutput {
        var output = MaskedOutput()
        if value != nil {
            drain(isEnd: true, into: &output)
            value = nil
        }
        outputCount += output.bytes.count
        return output
    }

    private mutating func consume(_ byte: UInt8, into output: inout MaskedOutput) {
        if value != nil {
            consumeInValue(byte, into: &output)
            return
        }
        output.bytes.append(byte)
        if inKey {
            if keyEscaped {
                keyEscaped = false
            } else if byte == 0x5C {
                keyEscaped = true
            } else if byte == 0x22 {
                inKey = false
            }
            return
        }
        switch byte {
        case 0x7B:
            containers.append(.object)
            expectsKey = true
        case 0x5B:
            containers.append(.array)
            expectsKey = false
        case 0x7D, 0x5D:
            _ = containers.popLast()
            expectsKey = false
        case 0x2C:
            expectsKey = containers.last == .object
        case 0x3A:
            expectsKey = false
        case 0x22:
            if expectsKey && containers.last == .object {
                inKey = true
            } else {
                var stream = masker.makeStream(session: session)
                stream.recordsSegments = true
                value = Value(stream: stream, inputStart: inputCount + 1)
            }
        default:
            break
        }
    }

    private mutating func consumeInValue(_ byte: UInt8, into output: inout MaskedOutput) {
        guard var current = value else { return }
        // Drop our reference while `current` is mutated, or every append would copy the value's
        // arrays (copy-on-write): quadratic in the length of a string. Every path below stores it back.
        value = nil
        let rawOffset = current.rawBase + current.raw.count
        switch current.escape {
        case .none:
            if byte == 0x22 {
                value = current
                drain(isEnd: true, into: &output)
                value = nil
                output.bytes.append(byte)
                return
            }
            current.raw.append(byte)
            if byte == 0x5C {
                current.escape = .backslash
                current.escapeStart = rawOffset
            } else {
                current.pending.append(byte)
                current.rawEnds.append(rawOffset + 1)
            }
        case .backslash:
            current.raw.append(byte)
            if byte == 0x75 {
                current.escape = .unicode(digits: 0, value: 0, high: nil)
            } else {
                let decoded: UInt8
                switch byte {
                case 0x62: decoded = 0x08
                case 0x66: decoded = 0x0C
                case 0x6E: decoded = 0x0A
                case 0x72: decoded = 0x0D
                case 0x74: decoded = 0x09
                default: decoded = byte  // \" \\ \/ and, leniently, anything else
                }
                current.escape = .none
                current.pending.append(decoded)
                current.rawEnds.append(rawOffset + 1)
            }
        case .unicode(let digits, let partial, let high):
            guard let nibble = Self.hexValue(byte) else {
                // Malformed escape: decode what was seen as U+FFFD and reprocess the byte.
                Self.append(scalar: 0xFFFD, rawEnd: rawOffset, to: &current)
                current.escape = .none
                value = current
                consumeInValue(byte, into: &output)
                return
            }
            current.raw.append(byte)
            let code = partial << 4 | UInt32(nibble)
            guard digits == 3 else {
                current.escape = .unicode(digits: digits + 1, value: code, high: high)
                break
            }
            current.escape = .none
            if let high {
                if (0xDC00...0xDFFF).contains(code) {
                    Self.append(scalar: 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00), rawEnd: rawOffset + 1, to: &current)
                } else {
                    Self.append(scalar: 0xFFFD, rawEnd: rawOffset + 1, to: &current)
                }
            } else if (0xD800...0xDBFF).contains(code) {
                current.escape = .afterHigh(code)
            } else {
                Self.append(scalar: (0xDC00...0xDFFF).contains(code) ? 0xFFFD : code, rawEnd: rawOffset + 1, to: &current)
            }
        case .afterHigh(let high):
            if byte == 0x5C {
                current.raw.append(byte)
                current.escape = .afterHighBackslash(high)
            } else {
                Self.append(scalar: 0xFFFD, rawEnd: rawOffset, to: &current)
                current.escape = .none
                value = current
                consumeInValue(byte, into: &output)
                return
            }
        case .afterHighBackslash(let high):
            current.raw.append(byte)
            if byte == 0x75 {
                current.escape = .unicode(digits: 0, value: 0, high: high)
            } else {
                // `\uD83D\n`: the lone surrogate, then the other escape on its own.
                Self.append(scalar: 0xFFFD, rawEnd: rawOffset - 1, to: &current)
                current.escape = .backslash
                current.escapeStart = rawOffset - 1
                current.raw.removeLast()
                value = current
                consumeInValue(byte, into: &output)
                return
            }
        }
        value = current
    }

    /// Appends a decoded scalar whose raw escape ends at `rawEnd`.
    private static func append(scalar: UInt32, rawEnd: Int, to value: inout Value) {
        let scalar = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        for byte in UTF8.encode(scalar)! {
            value.pending.append(byte)
            value.rawEnds.append(rawEnd)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Feeds decoded text to the value's stream and writes what it released.
    private mutating func drain(isEnd: Bool, into output: inout MaskedOutput) {
        guard var current = value else { return }
        value = nil  // as in consumeInValue: no copy of the arrays while mutating; stored back below
        if isEnd, current.escape != .none {
            // An escape cut by the end of the string: keep its raw bytes as clean text.
            Self.append(scalar: 0xFFFD, rawEnd: current.rawBase + current.raw.count, to: &current)
            current.escape = .none
        }
        var masked = current.stream.feed(current.pending)
        current.pending.removeAll(keepingCapacity: true)
        if isEnd { masked.append(current.stream.finish()) }
        let segments = current.stream.segments
        current.stream.segments.removeAll(keepingCapacity: true)
        var nextFinding = 0
        for segment in segments {
            switch segment {
            case .clean(let range):
                let rawEnd = current.rawEnds[range.upperBound - 1 - current.decodedBase]
                let rawStart = max(current.rawDone, range.lowerBound == 0 ? 0 : current.rawEnds[range.lowerBound - 1 - current.decodedBase])
                if rawEnd > rawStart {
                    emit(current.raw[(rawStart - current.rawBase)..<(rawEnd - current.rawBase)], into: &output)
                }
                current.rawDone = max(current.rawDone, rawEnd)
            case .replaced:
                var finding = masked.findings[nextFinding]
                nextFinding += 1
                let range = finding.inputRange
                let rawStart = range.lowerBound == 0 ? 0 : current.rawEnds[range.lowerBound - 1 - current.decodedBase]
                let rawEnd = current.rawEnds[range.upperBound - 1 - current.decodedBase]
                current.rawDone = max(current.rawDone, rawEnd)
                finding.inputRange = current.inputStart + rawStart..<current.inputStart + rawEnd
                let start = outputCount + output.bytes.count
                emit(Array(finding.replacement.utf8), into: &output)
                finding.outputRange = start..<outputCount + output.bytes.count
                output.findings.append(finding)
            }
        }
        // Every decoded byte before the stream's release point is written, replaced or
        // swallowed (inside a key block): its raw bytes are done.
        let keepDecoded = current.stream.bufferOffset + current.stream.releaseIndex
        if keepDecoded > current.decodedBase {
            current.rawDone = max(current.rawDone, current.rawEnds[keepDecoded - 1 - current.decodedBase])
        }
        let dropMap = min(max(0, keepDecoded - 1 - current.decodedBase), current.rawEnds.count)
        if dropMap > 1024 || (isEnd && dropMap > 0) {
            current.rawEnds.removeFirst(dropMap)
            current.decodedBase += dropMap
        }
        let dropRaw = current.rawDone - current.rawBase
        if dropRaw > 1024 {
            current.raw.removeFirst(dropRaw)
            current.rawBase += dropRaw
        }
        value = current
    }

    private mutating func emit(_ bytes: some Collection<UInt8>, into output: inout MaskedOutput) {
        output.bytes.append(contentsOf: bytes)
    }
}
