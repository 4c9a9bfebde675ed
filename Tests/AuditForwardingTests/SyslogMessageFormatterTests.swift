@testable import AuditForwarding
import Foundation
import NIOCore
import Testing

@Suite("RFC 5424 message formatting")
struct SyslogMessageFormatterTests {
    let formatter = SyslogMessageFormatter(facility: 13, hostname: "gw1", processID: 42, utf8BOM: true)

    @Test("header, structured data and BOM-prefixed JSON")
    func message() {
        let event = ForwardedEvent(
            seq: 7, id: #"a"b\c]d"#, time: Date(timeIntervalSince1970: 1_750_000_000.123456), kind: "session.open", jsonLine: #"{"a":"ü"}"#)
        #expect(formatter.message(for: event)
            == "<110>1 2025-06-15T15:06:40.123456Z gw1 chaperone 42 session.open [chaperone@32473 seq=\"7\" id=\"a\\\"b\\\\c\\]d\" kind=\"session.open\"] \u{FEFF}{\"a\":\"ü\"}")
    }

    @Test("octet counting uses the UTF-8 byte length")
    func framing() {
        let event = ForwardedEvent(seq: 1, id: "x", time: Date(timeIntervalSince1970: 0), kind: "exchange.request", jsonLine: #"{"t":"✓"}"#)
        var buffer = ByteBuffer()
        formatter.frame(event, into: &buffer)
        let text = String(buffer: buffer)
        let message = formatter.message(for: event)
        #expect(text == "\(message.utf8.count) \(message)")
        #expect(message.utf8.count != message.count)
    }

    @Test("severity: notice for audit.* and denied decisions, informational otherwise")
    func severity() {
        func priority(_ kind: String, _ json: String = "{}") -> String {
            String(formatter.message(for: ForwardedEvent(seq: 1, id: "x", time: Date(), kind: kind, jsonLine: json)).prefix(5))
        }
        #expect(priority("audit.checkpoint") == "<109>")
        #expect(priority("policy.decision", #"{"data":{"decision":"deny"}}"#) == "<109>")
        #expect(priority("policy.decision", #"{"data":{"decision":"allow"}}"#) == "<110>")
        #expect(priority("exchange.request", #"{"decision":"deny"}"#) == "<110>")
    }

    @Test("MSGID keeps dots, drops non-printable characters and stops at 32")
    func msgID() {
        #expect(SyslogMessageFormatter.sanitize("session.open", maxLength: 32) == "session.open")
        #expect(SyslogMessageFormatter.sanitize("a b\u{7F}é", maxLength: 32) == "a_b__")
        #expect(SyslogMessageFormatter.sanitize(String(repeating: "k", count: 40), maxLength: 32).count == 32)
        #expect(SyslogMessageFormatter.sanitize("", maxLength: 32) == "-")
    }
}
