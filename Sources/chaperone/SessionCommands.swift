import ArgumentParser
import Audit
import Foundation
import Proxy

/// `chaperone sessions`: the recorded client connections.
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List recorded sessions (one per intercepted client connection).",
        subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sessions, newest first.",
            discussion: """
                --user matches the principal's subject exactly, its e-mail, or the NAME of a local \
                account (unix:NAME(UID)@HOST). Replay one with `chaperone replay SESSION`.
                """)

        @Option(help: "Only this user's sessions.") var user: String?
        @Option(help: "Only sessions opened at or after this time (2025-01-31 or RFC 3339).") var since: String?
        @Option(help: "The most sessions to list.") var limit = 100
        @OptionGroup var store: AuditStoreOption
        @Flag(help: "Print the sessions as JSON.") var json = false

        func run() async throws {
            var sinceDate: Date?
            if let since {
                guard let parsed = AuditDates.parse(since) else { throw ValidationError("--since takes a date or RFC 3339 time") }
                sinceDate = parsed
            }
            let (opened, _) = try store.open()
            let sessions: [AuditSessionSummary]
            do {
                sessions = try await opened.sessions(user: user, since: sinceDate, limit: limit)
            } catch {
                throw ValidationError(error.description)
            }
            await opened.close()
            if json {
                try printJSON(sessions.map(SessionOutput.init))
                return
            }
            if sessions.isEmpty { print("no sessions") }
            for session in sessions {
                let closed = session.closed.map { "\(Int(($0.timeIntervalSince(session.opened) * 1000).rounded())) ms" } ?? "open"
                print("\(session.session)  \(session.opened.formatted(.iso8601))  \(session.principal ?? "?")  \(session.executable ?? "?")  \(session.sni ?? "-")  \(session.exchanges) exchange(s)  \(closed)\(session.error.map { "  error: \($0)" } ?? "")")
            }
        }
    }

    struct SessionOutput: Encodable {
        var id: String
        var opened: String
        var closed: String?
        var principal: String?
        var executable: String?
        var sni: String?
        var provider: String?
        var exchanges: Int
        var bytesIn: Int64?
        var bytesOut: Int64?
        var error: String?

        init(_ summary: AuditSessionSummary) {
            id = summary.session
            opened = summary.opened.formatted(.iso8601)
            closed = summary.closed?.formatted(.iso8601)
            principal = summary.principal
            executable = summary.executable
            sni = summary.sni
            provider = summary.provider
            exchanges = summary.exchanges
            bytesIn = summary.bytesIn
            bytesOut = summary.bytesOut
            error = summary.error
        }

        enum CodingKeys: String, CodingKey {
            case id, opened, closed, principal, executable, sni, provider, exchanges, error
            case bytesIn = "bytes_in", bytesOut = "bytes_out"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(opened, forKey: .opened)
            try c.encode(closed, forKey: .closed)
            try c.encode(principal, forKey: .principal)
            try c.encode(executable, forKey: .executable)
            try c.encode(sni, forKey: .sni)
            try c.encode(provider, forKey: .provider)
            try c.encode(exchanges, forKey: .exchanges)
            try c.encode(bytesIn, forKey: .bytesIn)
            try c.encode(bytesOut, forKey: .bytesOut)
            try c.encode(error, forKey: .error)
        }
    }
}

/// `chaperone replay`: one session as the client saw it, masked, at its pace.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Show a recorded session as the client saw it, masked, at its original pace.",
        discussion: """
            Each exchange prints its request (method, path, model, the masked body) and its \
            response; a streamed response prints its masked text (the SSE wire form with \
            --raw) chunk by chunk with the gaps the chunks had \
            (--speed 1), N times faster (--speed N) or at once (--speed max). --json prints the \
            session's audit events, one JSON object per line, at once.
            """)

    @Argument(help: "The session id (chaperone sessions list).") var session: String
    @Option(help: "1 for the original pace, N for N times faster, max for no pauses.") var speed = "1"
    @Flag(help: "Print a streamed response as it went over the wire (SSE lines), not as its text.") var raw = false
    @OptionGroup var store: AuditStoreOption
    @Flag(help: "Print the session's events as JSON lines.") var json = false

    func run() async throws {
        let factor: Double?
        if speed == "max" {
            factor = nil
        } else if let value = Double(speed), value > 0 {
            factor = value
        } else {
            throw ValidationError("--speed takes a positive number or max")
        }
        let (opened, _) = try store.open()
        let events: [AuditEvent]
        do {
            events = try await opened.events(session: session)
        } catch {
            throw ValidationError(error.description)
        }
        await opened.close()
        guard !events.isEmpty else {
            throw ValidationError("no session \(session); list them with `chaperone sessions list`")
        }
        if json {
            for event in events { print(event.jsonLine) }
            return
        }
        for event in events {
            try await show(event, factor: factor)
        }
    }

    private func show(_ event: AuditEvent, factor: Double?) async throws {
        let payload = event.payload
        switch event.kind {
        case .sessionOpen:
            print("# session \(session) opened \(event.time.formatted(.iso8601)) by \(event.principal ?? "?") (\(payload["process"]?["executable"]?.stringValue ?? "?")) to \(payload["sni"]?.stringValue ?? "-") [\(payload["alpn"]?.stringValue ?? "-")]")
        case .exchangeRequest:
            print("\n> \(payload["method"]?.stringValue ?? "?") \(payload["path"]?.stringValue ?? "?")  model: \(payload["model"]?.stringValue ?? "-")")
            if let body = payload["body"]?.stringValue { print(body) }
        case .policyDecision:
            print("# policy: \(payload["outcome"]?.stringValue ?? "?") \(payload["reason"]?.stringValue ?? "")")
        case .exchangeResponse:
            print("\n< \(payload["status"]?.intValue.map(String.init) ?? "-") \(payload["content_type"]?.stringValue ?? "")")
            if case .array(let chunks)? = payload["chunks"] {
                var last = 0.0
                var text = SSETextExtractor()
                for chunk in chunks {
                    let at = chunk["t_ms"]?.doubleValue ?? last
                    if let factor, at > last {
                        try await Task.sleep(for: .milliseconds(Int64((at - last) / factor)))
                    }
                    last = max(last, at)
                    let data = chunk["data"]?.stringValue ?? ""
                    print(raw ? data : text.feed(data), terminator: "")
                    fflush(nil)
                }
                print("")
            } else if let body = payload["body"]?.stringValue {
                print(body)
            }
        case .sessionClose:
            print("\n# session closed: \(payload["exchanges"]?.intValue ?? 0) exchange(s)\(payload["error"]?.stringValue.map { ", error: \($0)" } ?? "")")
        default:
            print("# \(event.kind.rawValue)")
        }
    }
}

/// The text a person saw in a streamed completion: the deltas of OpenAI chat
/// (`choices[].delta.content`), OpenAI responses (`response.output_text.delta`), Anthropic
/// (`content_block_delta` → `delta.text`) and Gemini (the first candidate's text parts, thought
/// summaries left out) events, from SSE bytes cut anywhere.
struct SSETextExtractor {
    private var pending = ""

    mutating func feed(_ data: String) -> String {
        pending += data
        var out = ""
        // `\r\n` (Google's line ending) is one Character in Swift: look for any line break.
        while let newline = pending.firstIndex(where: \.isNewline) {
            let line = pending[..<newline].trimmingCharacters(in: .whitespaces)
            pending = String(pending[pending.index(after: newline)...])
            guard line.hasPrefix("data:") else { continue }
            let json = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { continue }
            if let choices = object["choices"] as? [[String: Any]] {
                for choice in choices {
                    if let delta = choice["delta"] as? [String: Any], let content = delta["content"] as? String { out += content }
                }
            } else if object["type"] as? String == "response.output_text.delta", let delta = object["delta"] as? String {
                out += delta
            } else if object["type"] as? String == "content_block_delta", let delta = object["delta"] as? [String: Any],
                let text = delta["text"] as? String
            {
                out += text
            } else if let candidates = object["candidates"] as? [[String: Any]] {
                for (position, candidate) in candidates.enumerated() where (candidate["index"] as? Int ?? position) == 0 {
                    let parts = (candidate["content"] as? [String: Any])?["parts"] as? [[String: Any]] ?? []
                    for part in parts where part["thought"] as? Bool != true {
                        out += part["text"] as? String ?? ""
                    }
                }
            }
        }
        return out
    }
}
