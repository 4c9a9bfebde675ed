import Foundation
import NIOCore
import NIOPosix

/// A real `rsyslogd` (Debian packages rsyslog and rsyslog-gnutls) listening on a loopback port
/// and writing each received message's raw text, one per line, to `output`.
final class Rsyslog: @unchecked Sendable {
    // Used from one test task at a time; `process` is only touched by start/stop.
    let directory: URL
    let port: Int
    let output: URL
    private let config: URL
    private var process: ChildProcess?

    /// TLS material for an rsyslog `gtls` listener.
    struct TLS {
        var caFile: String
        var certificateFile: String
        var keyFile: String
    }

    init(tls: TLS? = nil) throws {
        directory = try makeTemporaryDirectory()
        port = try freeLoopbackPort()
        output = directory.appendingPathComponent("received.log")
        config = directory.appendingPathComponent("rsyslog.conf")
        var global = "workDirectory=\"\(directory.path)\" maxMessageSize=\"64k\""
        var module = "module(load=\"imtcp\")"
        if let tls {
            global += " DefaultNetstreamDriverCAFile=\"\(tls.caFile)\" DefaultNetstreamDriverCertFile=\"\(tls.certificateFile)\" DefaultNetstreamDriverKeyFile=\"\(tls.keyFile)\""
            module = "module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")"
        }
        let text = """
            global(\(global))
            \(module)
            template(name="raw" type="string" string="%rawmsg%\\n")
            ruleset(name="chaperone") {
              action(type="omfile" file="\(output.path)" template="raw")
            }
            input(type="imtcp" address="127.0.0.1" port="\(port)" ruleset="chaperone")

            """
        try text.write(to: config, atomically: true, encoding: .utf8)
    }

    deinit {
        process?.send(SIGKILL)
        _ = process?.hasExited
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts rsyslogd in the foreground and waits until it accepts connections.
    func start() async throws {
        process = try ChildProcess("/usr/sbin/rsyslogd", ["-n", "-f", config.path, "-i", directory.appendingPathComponent("rsyslogd.pid").path])
        try await waitUntil("rsyslogd to listen on \(port)") { await canConnect(port: port) }
    }

    /// Sends SIGTERM and waits for the process to exit.
    func stop() async throws {
        guard let process else { return }
        self.process = nil
        process.send(SIGTERM)
        try await waitUntil("rsyslogd to exit") { process.hasExited }
    }

    /// The received messages, one per line.
    func messages() -> [String] {
        guard let data = FileManager.default.contents(atPath: output.path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Waits until at least `count` messages arrived, then a little longer to catch extra ones.
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [String] {
        try await waitUntil("\(count) messages at rsyslog", timeout: timeout) { messages().count >= count }
        try await Task.sleep(for: .milliseconds(300))
        return messages()
    }
}

/// A port nobody listens on now.
func freeLoopbackPort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: 0).wait()
    let port = channel.localAddress!.port!
    try channel.close().wait()
    return port
}

/// Whether something accepts TCP connections on the loopback port.
func canConnect(port: Int) async -> Bool {
    do {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        try? await channel.close().get()
        return true
    } catch {
        return false
    }
}
