import Foundation
import Logging
import Testing

@testable import Identity

#if canImport(Glibc)
import Glibc
#endif

@Suite("Login and refresh through the real control socket")
struct LoginControlSocketTests {
    @Test("token.set with a refresh token, then a forced refresh, moves the principal's expiry; no answer or log line carries a token")
    func tokenSetThenRefresh() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            let offer = LoginIssuers(issuers: [
                .init(issuer: issuer.identifier, audience: "chaperone", clientID: "chaperone"),
                .init(issuer: "https://token.actions.githubusercontent.com", audience: "chaperone", clientID: "chaperone", deviceFlow: false),
            ])
            try await withControlServer(cache: rig.cache, logger: rig.logs.logger("control"), operations: [.loginIssuers: offer.controlOperation]) { path in
                // What `chaperone login` does: ask for the issuers, run the device flow, hand in both tokens.
                let issuersLine = try await onThread { try rawExchange(path: path, lines: [#"{"op":"login.issuers"}"#]) }
                let chosen = try LoginIssuers(from: try decodeControlResponse(issuersLine[0])).choose(nil)
                #expect(chosen.issuer == issuer.identifier)

                let tokens = try await rig.login(as: "alice", lifetime: 200)
                let request = String(decoding: try ControlCoding.encode(ControlRequest.tokenSet(try #require(tokens.idToken), refreshToken: tokens.refreshToken)), as: UTF8.self)
                #expect(request.contains(#""refresh_token":"#))
                let answers = try await onThread { try rawExchange(path: path, lines: [request, #"{"op":"whoami"}"#]) }
                let set = try decodeControlResponse(answers[0])
                let before = try decodeControlResponse(answers[1])
                #expect(set.ok && set.refreshTokenHeld == true)
                #expect(before.principal?.subject == "alice")
                #expect(before.refreshTokenHeld == true)
                let firstExpiry = try #require(before.expiresAt)

                // The test process is uid 0: the forced refresh of uid 0 renews its entry.
                guard case .refreshed(let renewed) = await rig.refresher.refresh(uid: getuid()) else {
                    Issue.record("expected a refresh")
                    return
                }
                let after = try await onThread { try rawExchange(path: path, lines: [#"{"op":"whoami"}"#]) }
                let now = try decodeControlResponse(after[0])
                #expect(now.principal?.subject == "alice")
                #expect(now.refreshTokenHeld == true)
                let secondExpiry = try #require(now.expiresAt)
                #expect(secondExpiry.timeIntervalSince(firstExpiry) > 3000)
                #expect(abs(secondExpiry.timeIntervalSince(renewed.expiresAt)) < 1)

                // token.set without a refresh token replaces the session: nothing left to renew.
                let plain = String(decoding: try ControlCoding.encode(ControlRequest.tokenSet(try #require(tokens.idToken))), as: UTF8.self)
                let replaced = try await onThread { try rawExchange(path: path, lines: [plain, #"{"op":"whoami"}"#, #"{"op":"logout"}"#]) }
                #expect(try decodeControlResponse(replaced[0]).refreshTokenHeld == false)
                #expect(try decodeControlResponse(replaced[1]).refreshTokenHeld == false)
                #expect(try decodeControlResponse(replaced[2]).removed == true)
                #expect(await rig.refresher.refresh(uid: getuid()) == .notRefreshable)

                // Not a byte of any token in any answer or any log line.
                let everything = issuersLine + answers + after + replaced
                for secret in rig.secrets {
                    #expect(!everything.contains { $0.contains(secret) }, "an answer carries a token")
                    #expect(!rig.logs.lines.contains { $0.contains(secret) }, "a log line carries a token")
                }
                #expect(rig.logs.lines.contains { $0.contains("token set") && $0.contains("refreshable=true") })
            }
        }
    }

    @Test("a refresh token handed in by one uid is never used for another (setpriv: the test runs as root)")
    func otherUidsAreUntouched() async throws {
        let key = TestSigner.p256(kid: "ec-1")
        try await withTestIssuer(keys: [key]) { issuer in
            issuer.enableOAuth(signer: key)
            let rig = try RefreshRig(issuer: issuer)
            try await withControlServer(cache: rig.cache, logger: rig.logs.logger("control")) { path in
                let alice = try await rig.login(as: "alice")
                let bob = try await rig.login(as: "bob")
                let setAlice = String(decoding: try ControlCoding.encode(ControlRequest.tokenSet(alice.idToken!, refreshToken: alice.refreshToken)), as: UTF8.self)
                let setBob = String(decoding: try ControlCoding.encode(ControlRequest.tokenSet(bob.idToken!)), as: UTF8.self)
                _ = try await onThread { try rawExchange(path: path, lines: [setAlice]) }
                let bobAnswer = try await runAsRaw(uid: 65534, path: path, requests: [setBob, #"{"op":"whoami"}"#])
                #expect(try decodeControlResponse(bobAnswer[1]).refreshTokenHeld == false)
                rig.clock.advance(by: 120)

                let outcomes = await rig.refresher.refreshDue()
                #expect(Set(outcomes.keys) == [getuid()])
                #expect(await rig.refresher.refresh(uid: 65534) == .notRefreshable)
                #expect(await rig.cache.principal(for: 65534)?.subject == "bob")
                #expect(await rig.cache.principal(for: getuid())?.subject == "alice")
                let presented = issuer.forms(posted: "/token").compactMap { $0["refresh_token"] }
                #expect(presented == [alice.refreshToken!.value])
            }
        }
    }
}

/// Runs a control socket server for `cache` on a fresh path while `body` runs.
func withControlServer(
    cache: TokenCache,
    logger: Logger,
    operations: [ControlRequest.Operation: ControlSocketServer.OperationHandler] = [:],
    _ body: (_ path: String) async throws -> Void
) async throws {
    // A world-traversable directory (mkdtemp makes 0700), so uid 65534 reaches the socket.
    let base = "/tmp/chaperone-login-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    defer { try? FileManager.default.removeItem(atPath: base) }
    let path = base + "/control.sock"
    let server = ControlSocketServer(
        configuration: .init(path: path, hostName: "testhost"), cache: cache, logger: logger, operations: operations)
    let (listening, continuation) = AsyncStream<Void>.makeStream()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run(onListening: { continuation.yield() }) }
        var iterator = listening.makeAsyncIterator()
        await iterator.next()
        do {
            try await body(path)
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

/// Sends `lines` on one connection and returns the answer lines exactly as the daemon wrote them.
func rawExchange(path: String, lines: [String]) throws -> [String] {
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
    var answers: [String] = []
    var pending: [UInt8] = []
    for line in lines {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw POSIXError(.EPIPE) }
            offset += written
        }
        while !pending.contains(UInt8(ascii: "\n")) {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            guard count > 0 else { return answers }
            pending += buffer[0..<count]
        }
        let newline = pending.firstIndex(of: UInt8(ascii: "\n"))!
        answers.append(String(decoding: pending[..<newline], as: UTF8.self))
        pending.removeSubrange(...newline)
    }
    return answers
}

/// Runs a Python client as `uid` (setpriv) sending `requests` on one connection; the raw answer lines.
func runAsRaw(uid: Int, path: String, requests: [String]) async throws -> [String] {
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
    process.standardOutput = output
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    #expect(status == 0, "client as uid \(uid) failed")
    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
}

func decodeControlResponse(_ line: String) throws -> ControlResponse {
    try ControlCoding.decode(ControlResponse.self, from: Data(line.utf8))
}
