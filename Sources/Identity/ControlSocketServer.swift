public import Foundation
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The daemon's control socket: a Unix stream socket where local users hand in their tokens.
///
/// Each line a client sends is one JSON ``ControlRequest``; each gets one JSON
/// ``ControlResponse`` line. The caller's uid is the kernel's `SO_PEERCRED` of the accepted
/// socket and nothing else: there is no request field for it, so a user can set, read and drop
/// only their own token. The socket is mode 0666 on purpose (every local user must reach it);
/// the uid check is what protects each user's entry. A refresh token handed in with
/// `token.set` is kept with the uid's entry (memory only) and never answered or logged.
public struct ControlSocketServer: Service {
    public struct Configuration: Sendable {
        /// The socket path; its parent directory is created 0755 when missing.
        public var path: String
        /// The socket file's mode.
        public var mode: mode_t
        /// The longest request line accepted, in bytes.
        public var maximumRequestSize: Int
        /// The host name in unix fallback principals.
        public var hostName: String

        public init(
            path: String = "/run/chaperone/control.sock",
            mode: mode_t = 0o666,
            maximumRequestSize: Int = 64 * 1024,
            hostName: String = ProcessInfo.processInfo.hostName
        ) {
            self.path = path
            self.mode = mode
            self.maximumRequestSize = maximumRequestSize
            self.hostName = hostName
        }
    }

    /// Answers an operation the daemon adds beyond the token ones (approvals, grants).
    public typealias OperationHandler = @Sendable (_ request: ControlRequest, _ caller: ControlCaller) async -> ControlResponse

    private let configuration: Configuration
    private let operations: [ControlRequest.Operation: OperationHandler]
    private let cache: TokenCache
    private let logger: Logger
    private let group: any EventLoopGroup
    private let userNames = UserNames()

    /// - Parameters:
    ///   - configuration: Path, mode and limits.
    ///   - cache: Where verified tokens are kept, by uid.
    ///   - logger: The caller's logger; tokens are never logged.
    ///   - group: The event loops to serve on.
    ///   - operations: Handlers of further operations, by name; each gets the caller as the
    ///     kernel and the token cache know them.
    public init(
        configuration: Configuration = Configuration(),
        cache: TokenCache,
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        operations: [ControlRequest.Operation: OperationHandler] = [:]
    ) {
        self.configuration = configuration
        self.operations = operations
        self.cache = cache
        self.logger = logger
        self.group = group
    }

    public func run() async throws {
        try await self.run(onListening: {})
    }

    /// Serves until graceful shutdown or cancellation.
    /// - Parameter onListening: Called once the socket accepts connections (for tests).
    /// - Throws: When the directory or socket cannot be created.
    public func run(onListening: @Sendable () -> Void) async throws {
        let path = self.configuration.path
        try Self.makeParentDirectory(of: path)
        let maximum = self.configuration.maximumRequestSize
        let server = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                PeerCredentials.of(channel).flatMapThrowing { credentials in
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ControlLineDecoder(maximumLength: maximum))
                    )
                    let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return ControlConnection(peer: credentials, channel: connection)
                }
            }
        guard chmod(path, self.configuration.mode) == 0 else {
            let code = errno
            try? await server.channel.close()
            throw ControlSocketError(
                "cannot chmod \(path) to \(String(self.configuration.mode, radix: 8)): \(errnoName(code)); run the daemon as root or as the owner of \(path)"
            )
        }
        self.logger.info("control socket listening", metadata: ["path": "\(path)"])
        onListening()
        defer { unlink(path) }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask {
                            await self.serve(connection)
                        }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private struct ControlConnection: Sendable {
        var peer: PeerCredentials
        var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    }

    private func serve(_ connection: ControlConnection) async {
        var logger = self.logger
        logger[metadataKey: "peer.uid"] = "\(connection.peer.uid)"
        logger[metadataKey: "peer.pid"] = "\(connection.peer.pid)"
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                do {
                    for try await line in inbound {
                        let response = await self.respond(to: line, from: connection.peer, logger: logger)
                        try await outbound.write(Self.encodeLine(response))
                    }
                } catch let error as ControlLineDecoder.LineTooLong {
                    // The rest of the line cannot be told from a next request: answer and close.
                    let response = ControlResponse(
                        TokenError(
                            code: .requestTooLarge,
                            message: "request is over \(error.limit) bytes; send one JSON object per line, with the token only (not a file or a response body)"
                        )
                    )
                    try await outbound.write(Self.encodeLine(response))
                }
            }
        } catch {
            logger.debug("control connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// Answers one request line.
    func respond(to line: ByteBuffer, from peer: PeerCredentials, logger: Logger) async -> ControlResponse {
        let uid = peer.uid
        guard let request = try? ControlCoding.decode(ControlRequest.self, from: Data(line.readableBytesView)) else {
            return ControlResponse(
                TokenError(
                    code: .malformed,
                    message: #"request is not a JSON object with a string "op"; send e.g. {"op":"whoami"} followed by a newline"#
                )
            )
        }
        switch request.op {
        case .tokenSet:
            guard let token = request.token, !token.isEmpty else {
                return ControlResponse(
                    TokenError(code: .malformed, message: #"token.set needs a "token" field with the ID token"#)
                )
            }
            let refreshToken = request.refreshToken
            do {
                let verified = try await self.cache.set(token: token, refreshToken: refreshToken, for: uid)
                logger.info(
                    "token set",
                    metadata: [
                        "subject": "\(verified.principal.subject)", "issuer": "\(verified.principal.issuer)",
                        "refreshable": "\(refreshToken != nil)",
                    ]
                )
                return ControlResponse(
                    ok: true, principal: verified.principal, verified: true, expiresAt: verified.expiresAt,
                    refreshTokenHeld: refreshToken != nil)
            } catch {
                logger.notice("token refused", metadata: ["code": "\(error.code)"])
                return ControlResponse(error)
            }
        case .whoami:
            if let token = await self.cache.token(for: uid) {
                return ControlResponse(
                    ok: true, principal: token.principal, verified: true, expiresAt: token.expiresAt,
                    refreshTokenHeld: await self.cache.hasRefreshToken(for: uid))
            }
            return ControlResponse(ok: true, principal: self.unixPrincipal(uid: uid), verified: false)
        case .logout:
            let removed = await self.cache.remove(uid: uid)
            if removed { logger.info("token removed") }
            return ControlResponse(ok: true, removed: removed)
        default:
            if let handler = self.operations[request.op] {
                let token = await self.cache.token(for: uid)
                let caller = ControlCaller(
                    uid: uid, pid: peer.pid, principal: token?.principal ?? self.unixPrincipal(uid: uid),
                    verified: token != nil, userName: self.userNames.name(of: uid))
                return await handler(request, caller)
            }
            let known = (["token.set", "whoami", "logout"] + self.operations.keys.map(\.rawValue).sorted())
            return ControlResponse(
                TokenError(
                    code: .unknownOperation,
                    message: "unknown op '\(request.op.rawValue)'; use \(known.joined(separator: ", "))"
                )
            )
        }
    }

    /// The fallback principal of a uid that handed in no token.
    func unixPrincipal(uid: UInt32) -> Principal {
        .unix(uid: uid, userName: self.userNames.name(of: uid), host: self.configuration.hostName, daemonUID: getuid())
    }

    private static func encodeLine(_ response: ControlResponse) -> ByteBuffer {
        var data = (try? ControlCoding.encode(response)) ?? Data(#"{"ok":false}"#.utf8)
        data.append(UInt8(ascii: "\n"))
        return ByteBuffer(bytes: data)
    }

    /// Creates the socket's parent directory 0755 (and its parents) when missing.
    private static func makeParentDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ControlSocketError("\(directory) exists and is not a directory; remove it or choose another control socket path")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755]
            )
        } catch {
            throw ControlSocketError("cannot create \(directory): \(error); run the daemon as root or choose another control socket path")
        }
    }
}

/// The control socket could not be set up.
public struct ControlSocketError: Error, CustomStringConvertible, Sendable {
    /// What failed and what to do next.
    public var message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
