internal import Foundation
internal import NIOCore

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Turns an event into an octet-counted RFC 5424 message (RFC 6587 §3.4.1: `MSG-LEN SP SYSLOG-MSG`).
///
/// `<PRI>1 TIMESTAMP HOSTNAME chaperone PROCID MSGID [chaperone@32473 seq="…" id="…" kind="…"] BOM JSON`
///
/// TIMESTAMP is the event's time in UTC with microseconds, MSGID the kind (printable US-ASCII, at most
/// 32 characters), MSG the event's JSON line, unchanged, after the UTF-8 BOM when `utf8BOM` is set.
/// Pure: no I/O, tested on its own.
struct SyslogMessageFormatter: Sendable {
    /// The SD-ID; 32473 is the private enterprise number RFC 5612 reserves for documentation.
    static let structuredDataID = "chaperone@32473"
    static let appName = "chaperone"

    let facility: Int
    let hostname: String
    let processID: String
    let utf8BOM: Bool

    init(facility: Int, hostname: String?, processID: Int32 = getpid(), utf8BOM: Bool) {
        self.facility = facility
        self.hostname = Self.sanitize(hostname ?? Self.machineHostname(), maxLength: 255)
        self.processID = String(processID)
        self.utf8BOM = utf8BOM
    }

    /// The SYSLOG-MSG without framing.
    func message(for event: ForwardedEvent) -> String {
        let priority = facility * 8 + EventSeverity(of: event).syslogSeverity
        var text = "<\(priority)>1 \(Self.timestamp(event.time)) \(hostname) \(Self.appName) \(processID) "
        text += Self.sanitize(event.kind, maxLength: 32)
        text += " [\(Self.structuredDataID) seq=\"\(event.seq)\" id=\"\(Self.escapeParameter(event.id))\""
        text += " kind=\"\(Self.escapeParameter(event.kind))\"] "
        if utf8BOM { text += "\u{FEFF}" }
        text += event.jsonLine
        return text
    }

    /// Appends the octet-counted frame of `event` to `buffer`.
    func frame(_ event: ForwardedEvent, into buffer: inout ByteBuffer) {
        let message = message(for: event)
        buffer.writeString("\(message.utf8.count) ")
        buffer.writeString(message)
    }

    /// Escapes `"`, `\` and `]` in an SD-PARAM value (RFC 5424 §6.3.3).
    static func escapeParameter(_ value: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(value.utf8.count)
        for character in value {
            if character == "\"" || character == "\\" || character == "]" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// Keeps printable US-ASCII (33–126), replaces anything else by `_`, truncates; `-` when empty.
    static func sanitize(_ value: String, maxLength: Int) -> String {
        let scalars = value.unicodeScalars.prefix(maxLength).map { (33...126).contains($0.value) ? Character($0) : "_" }
        return scalars.isEmpty ? "-" : String(scalars)
    }

    /// RFC 3339 UTC with six fractional digits, e.g. `2025-01-31T12:00:00.123456Z`.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = String(micros)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }

    /// The machine's host name from `gethostname`, without a DNS lookup.
    static func machineHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "-" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
