import Foundation
import Logging
import NIOCore
import Testing
import Identity

#if canImport(Glibc)
import Glibc
#endif

@Suite("ControlSocketServer over a real Unix socket")
struct ControlSocketServerTests {
    /// Runs a server on a fresh socket path with a fresh issuer and cache.
    private func withServer(
        keys: [TestSigner],
        _ body: (_ path: String, _ issuer: TestIssuer) async throws -> Void
    ) async throws {
        try await withTestIssuer(keys: keys) { issuer in
            // A world-traversable directory (mkdtemp makes 0700), so uid 65534 reaches the socket.
            let base = "/tmp/chaperone-ctl-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            defer { try? FileManager.default.removeItem(atPath: base) }
            let path = base + "/run/control.sock"
            let cache = TokenCache(verifier: try issuer.makeVerifier())
            let server = ControlSocketServer(
                configuration: .init(path: path, hostName: "testhost"),
                cache: cache,
                logger: Logger(label: "control")
            )
            let (listening, continuation) = AsyncStream<Void>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.run(onListening: { continuation.yield() })
                }
                var iterator = listening.makeAsyncIterator()
                await iterator.next()
                do {
                    try await body(path, issuer)
                } catch {
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }
    }

    @Test("two uids each see only their own principal (setpriv: the test runs as root)")
    func eachUidSeesOnlyItsOwnPrincipal() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withServer(keys: [key]) { path, issuer in
            var mode = stat()
            #expect(stat(path, &mode) == 0)
            #expect(mode.st_mode & 0o777 == 0o666)
            #expect(stat((path as NSString).deletingLastPathComponent, &mode) == 0)
            #expect(mode.st_mode & 0o777 == 0o755)

            let alice = try key.sign(issuer.claims(subject: "alice"))
            let bob = try key.sign(issuer.claims(subject: "bob"))

            // uid 65534 (A) hands in alice's token; uid 4242 (B) has none yet.
            let setA = try await runAs(uid: 65534, path: path, requests: [#"{"op":"token.set","token":"\#(alice)"}"#])
            #expect(setA[0].ok)
            #expect(setA[0].principal?.subject == "alice")
            #expect(setA[0].verified == true)

            let whoB = try await runAs(uid: 4242, path: path, requests: [#"{"op":"whoami"}"#])
            #expect(whoB[0].ok)
            #expect(whoB[0].verified == false)
            #expect(whoB[0].principal?.source == .unix)
            #expect(whoB[0].principal?.subject == "unix:?(4242)@testhost")

            // B sets bob's token: A's entry is untouched, and each whoami answers its own.
            let setB = try await runAs(uid: 4242, path: path, requests: [#"{"op":"token.set","token":"\#(bob)"}"#, #"{"op":"whoami"}"#])
            #expect(setB[0].principal?.subject == "bob")
            #expect(setB[1].principal?.subject == "bob")
            #expect(setB[1].verified == true)
            let whoA = try await runAs(uid: 65534, path: path, requests: [#"{"op":"whoami"}"#])
            #expect(whoA[0].principal?.subject == "alice")

            // A uid in the body is ignored: there is no field for it.
            let spoof = try await runAs(uid: 4242, path: path, requests: [#"{"op":"logout","uid":65534}"#, #"{"op":"whoami","uid":65534}"#])
            #expect(spoof[0].removed == true)
            #expect(spoof[1].principal?.subject == "unix:?(4242)@testhost")
            #expect(try await runAs(uid: 65534, path: path, requests: [#"{"op":"whoami"}"#])[0].principal?.subject == "alice")

            // B handing in a forged token changes nothing for anyone.
            let forged = try TestSigner.p256(kid: "ec-1").sign(issuer.claims(subject: "alice"))
            let refused = try await runAs(uid: 4242, path: path, requests: [#"{"op":"token.set","token":"\#(forged)"}"#, #"{"op":"whoami"}"#])
            #expect(!refused[0].ok)
            #expect(refused[0].error?.code == "badSignature")
            #expect(refused[1].verified == false)
            #expect(try await runAs(uid: 65534, path: path, requests: [#"{"op":"whoami"}"#])[0].principal?.subject == "alice")

            // The test process itself (root) through the CLI's client.
            let root = try await onThread { try ControlClient.send(ControlRequest(op: .whoami), socketPath: path) }
            #expect(root.principal?.subject.hasPrefix("unix:root(0)@testhost") == true)
            #expect(root.principal?.attributes["account"] == "root")
            let logout = try await runAs(uid: 65534, path: path, requests: [#"{"op":"logout"}"#, #"{"op":"whoami"}"#])
            #expect(logout[0].removed == true)
            #expect(logout[1].verified == false)
        }
    }

    @Test func answersMalformedRequestsAndKeepsTheConnection() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withServer(keys: [key]) { path, issuer in
            let answers = try await onThread {
                try exchange(path: path, lines: ["not json", #"{"token":"x"}"#, #"{"op":"fly"}"#, #"{"op":"token.set"}"#, #"{"op":"token.set","token":"a.b"}"#, #"{"op":"whoami"}"#])
            }
            #expect(answers.count == 6)
            #expect(answers[0].error?.code == "malformed")
            #expect(answers[0].error?.message.contains(#"{"op":"whoami"}"#) == true)
            #expect(answers[1].error?.code == "malformed")
            #expect(answers[2].error?.code == "unknownOperation")
            #expect(answers[3].error?.code == "malformed")
            #expect(answers[4].error?.code == "malformed")
            #expect(answers[5].ok)
            #expect(answers[5].verified == false)
        }
    }

    @Test func refusesOversizeRequests() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withServer(keys: [key]) { path, _ in
            let huge = #"{"op":"token.set","token":""# + String(repeating: "A", count: 70 * 1024) + #""}"#
            let answers = try await onThread { try exchange(path: path, lines: [huge, #"{"op":"whoami"}"#]) }
            #expect(answers.first?.error?.code == "requestTooLarge")
            #expect(answers.first?.error?.message.contains("65536") == true)
            // The connection is closed after that answer; a new one is served.
            #expect(answers.count == 1)
            let again = try await onThread { try ControlClient.send(ControlRequest(op: .whoami), socketPath: path) }
            #expect(again.ok)
        }
    }

    @Test func clientReportsAMissingDaemon() throws {
        #expect {
            try ControlClient.send(ControlRequest(op: .whoami), socketPath: "/tmp/chaperone-no-such-\(UUID().uuidString).sock")
        } throws: { error in
            (error as? ControlSocketError)?.message.contains("is the daemon running?") == true
        }
    }
}

/// Runs a Python client as `uid` (setpriv), sending each request on one connection, and
/// decodes the answers.
private func runAs(uid: Int, path: String, requests: [String]) async throws -> [ControlResponse] {
    let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        f = s.makefile("rwb")
        for request in sys.argv[2:]:
            f.write(request.encode() + b"\\n"); f.flush()
            sys.stdout.write(f.readline().decode())
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", "-c", script, path] + requests
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(status == 0, "client as uid \(uid) failed: \(stderr)")
    return try text.split(separator: "\n").map { try decodeResponse(Data($0.utf8)) }
}

/// Sends raw lines on one blocking connection and reads answers until the server closes or
/// every line was answered.
private func exchange(path: String, lines: [String]) throws -> [ControlResponse] {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    var interval = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
    var answers: [ControlResponse] = []
    var pending: [UInt8] = []
    for line in lines {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return answers + (try readAll(descriptor, &pending)) }
            offset += written
        }
        // Read one answer line (or EOF).
        while !pending.contains(UInt8(ascii: "\n")) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count <= 0 { return answers }
            pending += buffer[0..<count]
        }
        let newline = pending.firstIndex(of: UInt8(ascii: "\n"))!
        answers.append(try decodeResponse(Data(pending[..<newline])))
        pending.removeSubrange(...newline)
    }
    return answers
}

private func readAll(_ descriptor: Int32, _ pending: inout [UInt8]) throws -> [ControlResponse] {
    while true {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
        if count <= 0 { break }
        pending += buffer[0..<count]
    }
    return try pending.split(separator: UInt8(ascii: "\n")).map { try decodeResponse(Data($0)) }
}

private func decodeResponse(_ data: Data) throws -> ControlResponse {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(ControlResponse.self, from: data)
}
