import NIOCore

/// Splits a control socket stream into lines (`\n`, an optional `\r` before it dropped), and
/// refuses a line longer than ``maximumLength`` as soon as that many bytes arrived without a
/// newline, so a client cannot make the daemon buffer without bound.
struct ControlLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// A line was longer than the limit.
    struct LineTooLong: Error {
        var limit: Int
    }

    let maximumLength: Int
    private var scanned = 0

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view.dropFirst(self.scanned).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            guard length <= self.maximumLength else { throw LineTooLong(limit: self.maximumLength) }
            var line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
            }
            self.scanned = 0
            context.fireChannelRead(Self.wrapInboundOut(line))
            return .continue
        }
        self.scanned = view.count
        guard view.count <= self.maximumLength else { throw LineTooLong(limit: self.maximumLength) }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last request without a newline (`printf '{"op":"whoami"}' | nc -U …`) still counts.
        if try self.decode(context: context, buffer: &buffer) == .continue { return .continue }
        if buffer.readableBytes > 0, seenEOF {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            self.scanned = 0
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        return .needMoreData
    }
}
