@testable import Proxy
import Testing

/// Record-layer rules: record headers, lengths, and reassembly across records.
@Suite struct RecordLayerTests {
    let fixture = ClientHelloFixture.opensslTLS13.bytes

    @Test func rejectsZeroLengthRecord() {
        expectError(.malformed, parsing: [0x16, 0x03, 0x01, 0x00, 0x00])
        let emptySecondRecord = TLSRecords.refragment(fixture, recordSize: 100).prefix(105) + [0x16, 0x03, 0x01, 0x00, 0x00]
        expectError(.malformed, parsing: Array(emptySecondRecord))
    }

    @Test func rejectsRecordLongerThanTLSAllows() {
        expectError(.malformed, parsing: [0x16, 0x03, 0x01, 0x40, 0x01, 0x01])
    }

    @Test func rejectsOtherRecordTypeInsideTheHandshake() throws {
        var stream = TLSRecords.refragment(fixture, recordSize: 100)
        stream[105] = 23
        #expect(try ClientHelloParser().parse(stream.prefix(105)) == .needMoreData)
        expectError(.malformed, parsing: Array(stream.prefix(106)))
        expectError(.malformed, parsing: stream)
    }

    @Test func rejectsBadVersionInsideTheHandshake() {
        var stream = TLSRecords.refragment(fixture, recordSize: 100)
        stream[106] = 0x02
        expectError(.malformed, parsing: Array(stream.prefix(107)))
    }

    @Test func rejectsRecordExtendingPastTheHandshakeMessage() {
        // The last record claims one more byte than the ClientHello declares.
        var stream = fixture + [0x00]
        stream[4] += 1
        expectError(.malformed, parsing: stream)
        expectError(.malformed, parsing: Array(stream.prefix(9)))
    }

    @Test func rejectsSecondHandshakeMessageInTheSameRecord() {
        let payload = TLSRecords.payload(of: fixture) + [0x01, 0x00, 0x00, 0x00]
        expectError(.malformed, parsing: TLSRecords.frame(payload, recordSize: 1 << 14))
    }

    @Test func rejectsHandshakeMessageShorterThanItsFields() {
        // Declares a 10-byte ClientHello body: legacy_version and part of random only.
        let payload: [UInt8] = [0x01, 0x00, 0x00, 0x0A, 0x03, 0x03] + [UInt8](repeating: 0x42, count: 8)
        expectError(.malformed, parsing: TLSRecords.frame(payload, recordSize: 100))
    }

    @Test func reassemblesHandshakeHeaderSplitAcrossRecords() throws {
        let stream = TLSRecords.refragment(fixture, recordSize: 1)
        #expect(try ClientHelloParser().parse(stream.prefix(5 * 6)) == .needMoreData)
        #expect(try ClientHelloParser().parse(stream) == .complete(ClientHelloFixture.opensslTLS13.expected, consumedBytes: stream.count))
    }

    @Test func keepsRecordVersionOfEachRecordIndependent() throws {
        // TLS clients use 0x0301 for the first record and may use 0x0303 for later ones.
        var stream = TLSRecords.refragment(fixture, recordSize: 100)
        stream[107] = 0x03
        #expect(try ClientHelloParser().parse(stream) == .complete(ClientHelloFixture.opensslTLS13.expected, consumedBytes: stream.count))
    }
}
