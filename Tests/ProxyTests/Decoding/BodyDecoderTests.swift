import Foundation
import NIOHTTP1
import Testing

@testable import Proxy

/// The streaming decoder against bodies compressed by other implementations (Debian's gzip and
/// brotli, Python's zlib), fed whole, a byte at a time and in seeded random splits.
@Suite("Body decoding")
struct BodyDecoderTests {
    /// How a fixture body was compressed, and the header value it travels under.
    enum Producer: String, CaseIterable, CustomTestStringConvertible {
        case gzip, zlibDeflate, rawDeflate, brotli

        var coding: ContentCoding {
            switch self {
            case .gzip: .gzip
            case .zlibDeflate, .rawDeflate: .deflate
            case .brotli: .br
            }
        }

        var isAvailable: Bool { self != .brotli || CompressionTools.hasBrotli }

        func compress(_ data: [UInt8]) throws -> [UInt8] {
            switch self {
            case .gzip: try CompressionTools.gzip(data)
            case .zlibDeflate: try CompressionTools.zlib(data)
            case .rawDeflate: try CompressionTools.rawDeflate(data)
            case .brotli: try CompressionTools.brotli(data)
            }
        }

        var testDescription: String { rawValue }
    }

    /// ~150 KB of JSON-ish text with seeded variety: several 16 KiB output chunks, and not so
    /// repetitive that it trips the ratio check.
    static let body: [UInt8] = {
        var generator = SplitMix64(seed: 0xC0FFEE)
        var text = #"{"model":"gpt-4o","messages":["#
        for index in 0..<1_500 {
            let word = String(generator.next() % 1_000_000, radix: 36)
            text += #"{"role":"user","content":"line \#(index) \#(word) mail jane.doe@example.com ✓"},"#
        }
        text += #"{"role":"user","content":"end"}]}"#
        return Array(text.utf8)
    }()

    /// Decodes `encoded` fed in pieces of the given sizes (cycled), then finishes.
    func decode(
        _ encoded: [UInt8],
        _ codings: [ContentCoding],
        splits: [Int],
        limits: BodyDecoder.Limits = .init()
    )
        throws -> [UInt8]
    {
        let decoder = try BodyDecoder(codings: codings, limits: limits)
        var output: [UInt8] = []
        var offset = 0
        var turn = 0
        while offset < encoded.count {
            let end = min(encoded.count, offset + max(1, splits[turn % splits.count]))
            output += try decoder.feed(encoded[offset..<end])
            offset = end
            turn += 1
        }
        try decoder.finish()
        #expect(decoder.decodedBytes == output.count)
        return output
    }

    func randomSplits(seed: UInt64, count: Int = 64) -> [Int] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int(generator.next() % 4_000) + 1 }
    }

    // MARK: Headers

    @Test("Content-Encoding lists are read in the order applied; identity and x-gzip are understood")
    func headerParsing() throws {
        func codings(_ values: String...) throws -> [ContentCoding] {
            var headers = HTTPHeaders()
            for value in values { headers.add(name: "Content-Encoding", value: value) }
            return try ContentCoding.codings(in: headers)
        }
        #expect(try codings() == [])
        #expect(try codings("identity") == [])
        #expect(try codings("GZIP") == [.gzip])
        #expect(try codings("x-gzip") == [.gzip])
        #expect(try codings("deflate") == [.deflate])
        #expect(try codings("gzip, br") == [.gzip, .br])
        #expect(try codings("gzip", "br") == [.gzip, .br])
        #expect(try codings(" br ,identity") == [.br])
    }

    @Test("an unknown coding or a stack of three is refused, naming it")
    func headerRefusals() throws {
        var headers = HTTPHeaders()
        headers.add(name: "content-encoding", value: "zstd")
        let zstd = #expect(throws: BodyDecodingError(.unsupported, coding: "", "")) {
            try ContentCoding.codings(in: headers)
        }
        #expect(zstd?.coding == "zstd" && zstd?.message.contains("zstd") == true)
        headers.replaceOrAdd(name: "content-encoding", value: "gzip, br, deflate")
        let stacked = #expect(throws: BodyDecodingError(.unsupported, coding: "", "")) {
            try ContentCoding.codings(in: headers)
        }
        #expect(stacked?.message.contains("at most 2") == true)
    }

    @Test("the zlib header sniff tells a zlib stream from raw deflate")
    func zlibHeaderSniff() {
        #expect(ZlibDecompressor.isZlibHeader(0x78, 0x9C))
        #expect(ZlibDecompressor.isZlibHeader(0x78, 0x01))
        #expect(ZlibDecompressor.isZlibHeader(0x78, 0xDA))
        #expect(!ZlibDecompressor.isZlibHeader(0x78, 0x9D))  // check bits wrong
        #expect(!ZlibDecompressor.isZlibHeader(0x79, 0x9C))  // method 9
        #expect(!ZlibDecompressor.isZlibHeader(0xED, 0xBD))  // a raw deflate block
    }

    // MARK: Round trips

    @Test(
        "bodies from real compressors decode whole, a byte at a time and in random splits",
        arguments: Producer.allCases
    )
    func roundTrip(_ producer: Producer) throws {
        guard producer.isAvailable else { return }
        let encoded = try producer.compress(Self.body)
        #expect(encoded.count < Self.body.count / 2)
        #expect(try decode(encoded, [producer.coding], splits: [encoded.count]) == Self.body)
        #expect(try decode(encoded, [producer.coding], splits: [1]) == Self.body)
        for seed in UInt64(1)...4 {
            #expect(try decode(encoded, [producer.coding], splits: randomSplits(seed: seed)) == Self.body)
        }
    }

    @Test(
        "a tiny body decodes one byte at a time (headers and trailers split everywhere)",
        arguments: Producer.allCases
    )
    func tinyBody(_ producer: Producer) throws {
        guard producer.isAvailable else { return }
        let plain = Array(#"{"a":"b"}"#.utf8)
        let encoded = try producer.compress(plain)
        #expect(try decode(encoded, [producer.coding], splits: [1]) == plain)
        #expect(try decode(encoded, [producer.coding], splits: [2, 1, 3]) == plain)
    }

    @Test("gzip members back to back (cat a.gz b.gz) decode to both bodies")
    func gzipMembers() throws {
        let first = Array("first member\n".utf8)
        let second = Array(Self.body.prefix(40_000))
        let encoded = try CompressionTools.gzip(first) + CompressionTools.gzip(second)
        #expect(try decode(encoded, [.gzip], splits: [1]) == first + second)
        #expect(try decode(encoded, [.gzip], splits: randomSplits(seed: 9)) == first + second)
    }

    @Test(
        "gzip then br (Content-Encoding: gzip, br) is undone in reverse order",
        .enabled(if: CompressionTools.hasBrotli)
    )
    func stacked() throws {
        let encoded = try CompressionTools.brotli(try CompressionTools.gzip(Self.body))
        #expect(try decode(encoded, [.gzip, .br], splits: [1]) == Self.body)
        #expect(try decode(encoded, [.gzip, .br], splits: randomSplits(seed: 7)) == Self.body)
        // The wrong order is an error, not garbage.
        #expect(throws: BodyDecodingError.self) { try decode(encoded, [.br, .gzip], splits: [512]) }
    }

    @Test("an empty body is empty in every coding", arguments: ContentCoding.allCases)
    func emptyBody(_ coding: ContentCoding) throws {
        let decoder = try BodyDecoder(codings: [coding])
        #expect(try decoder.feed([UInt8]()) == [])
        try decoder.finish()
    }

    // MARK: Limits

    @Test("a gzip bomb (100 MB of zeros in ~100 KB) stops at the ratio check, about 1 MiB in")
    func gzipBomb() throws {
        let bomb = try CompressionTools.run("/bin/sh", ["-c", "head -c 100000000 /dev/zero | gzip -c"], input: [])
        let decoder = try BodyDecoder(codings: [.gzip])
        var produced = 0
        var offset = 0
        let error = #expect(throws: BodyDecodingError(.tooLarge, coding: "", "")) {
            while offset < bomb.count {
                let end = min(bomb.count, offset + 65_536)
                produced += try decoder.feed(bomb[offset..<end]).count
                offset = end
            }
        }
        #expect(produced <= 1_024 * 1_024 + decompressorChunkSize)
        #expect(error?.coding == "gzip" && error?.message.contains("decompression bomb") == true)
        // A decoder that failed stays failed.
        #expect(throws: BodyDecodingError(.tooLarge, coding: "", "")) { try decoder.feed([0]) }
        #expect(throws: BodyDecodingError(.tooLarge, coding: "", "")) { try decoder.finish() }
    }

    @Test("a brotli bomb (100 MB in 80 bytes) is refused", .enabled(if: CompressionTools.hasBrotli))
    func brotliBomb() throws {
        let bomb = try CompressionTools.run("/bin/sh", ["-c", "head -c 100000000 /dev/zero | brotli -c"], input: [])
        #expect(bomb.count < 1_000)
        let error = #expect(throws: BodyDecodingError(.tooLarge, coding: "", "")) {
            _ = try decode(bomb, [.br], splits: [bomb.count])
        }
        #expect(error?.coding == "br")
    }

    @Test("the decoded-size cap holds for ordinary text too", arguments: [Producer.gzip, .brotli])
    func sizeCap(_ producer: Producer) throws {
        guard producer.isAvailable else { return }
        let encoded = try producer.compress(Self.body)
        let limits = BodyDecoder.Limits(maxDecodedBytes: 50_000, maxRatio: 1_000_000)
        let error = #expect(throws: BodyDecodingError(.tooLarge, coding: "", "")) {
            _ = try decode(encoded, [producer.coding], splits: [1_000], limits: limits)
        }
        #expect(error?.message.contains("more than 50000 bytes") == true)
        // Under the cap, the same limits let it through.
        let roomy = BodyDecoder.Limits(maxDecodedBytes: Self.body.count, maxRatio: 1_000_000)
        #expect(try decode(encoded, [producer.coding], splits: [1_000], limits: roomy) == Self.body)
    }

    // MARK: Bad input

    @Test("a body cut short is truncated, wherever it is cut", arguments: Producer.allCases)
    func truncated(_ producer: Producer) throws {
        guard producer.isAvailable else { return }
        let encoded = try producer.compress(Self.body)
        for cut in [1, 2, 10, encoded.count / 2, encoded.count - 1] {
            let error = #expect(throws: BodyDecodingError(.truncated, coding: "", "")) {
                _ = try decode(Array(encoded.prefix(cut)), [producer.coding], splits: [cut])
            }
            #expect(error?.coding == producer.coding.rawValue)
            #expect(error?.message.contains("truncated") == true)
        }
    }

    @Test("bytes that are not the coding at all are malformed, with the library's reason")
    func notCompressed() throws {
        let plain = Array(#"{"model":"gpt-4o","messages":[]}"#.utf8)
        let gzip = #expect(throws: BodyDecodingError(.malformed, coding: "", "")) {
            _ = try decode(plain, [.gzip], splits: [1])
        }
        #expect(gzip?.message == "the gzip body is malformed near compressed byte 2: incorrect header check")
        let br = #expect(throws: BodyDecodingError(.malformed, coding: "", "")) {
            _ = try decode(plain, [.br], splits: [7])
        }
        #expect(br?.message.hasPrefix("the br body is malformed") == true)
        // deflate falls back to raw deflate, which rejects these bytes as a block.
        #expect(throws: BodyDecodingError(.malformed, coding: "", "")) {
            _ = try decode(plain, [.deflate], splits: [3])
        }
    }

    @Test("a corrupted gzip checksum and a corrupted gzip header are malformed")
    func corruptGzip() throws {
        let encoded = try CompressionTools.gzip(Self.body)
        var badCRC = encoded
        badCRC[badCRC.count - 6] ^= 0xFF
        let crc = #expect(throws: BodyDecodingError(.malformed, coding: "", "")) {
            _ = try decode(badCRC, [.gzip], splits: [4_096])
        }
        #expect(crc?.message.contains("incorrect data check") == true)
        var badMagic = encoded
        badMagic[0] = 0x00
        #expect(throws: BodyDecodingError(.malformed, coding: "", "")) {
            _ = try decode(badMagic, [.gzip], splits: [1])
        }
        var badMiddle = encoded
        badMiddle[encoded.count / 2] ^= 0x55
        #expect(throws: BodyDecodingError.self) { _ = try decode(badMiddle, [.gzip], splits: [4_096]) }
    }

    @Test("bytes after the end of the stream are refused", arguments: Producer.allCases)
    func trailingBytes(_ producer: Producer) throws {
        guard producer.isAvailable else { return }
        let encoded = try producer.compress(Array("short body".utf8)) + Array("trailing junk".utf8)
        let error = #expect(throws: BodyDecodingError(.malformed, coding: "", "")) {
            _ = try decode(encoded, [producer.coding], splits: [encoded.count])
        }
        #expect(error?.coding == producer.coding.rawValue)
    }
}
