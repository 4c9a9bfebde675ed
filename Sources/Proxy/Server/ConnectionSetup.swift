import Identity
import Interception
import Logging
import Masking
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// Builds the pipeline of one accepted connection and takes the splice-or-intercept decision.
///
/// Accept → original destination → ClientHello peek. Then a host on the intercept list gets TLS
/// terminated with a minted leaf and HTTP/1.1 or HTTP/2 by ALPN; any other host (or no SNI, by
/// configuration) is spliced: relayed byte for byte to where it was going, never decrypted.
struct ConnectionSetup: Sendable {
    /// What attribution found: the uid and process, and the identity that uid handed in.
    struct Attribution: Sendable {
        var peer: PeerAttribution?
        var principal: Principal?
    }

    let runtime: ProxyRuntime
    let listenAddresses: [SocketAddress]

    func initialize(_ channel: any Channel) -> EventLoopFuture<Void> {
        runtime.logger.trace("accepted", metadata: ["client": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
        return OriginalDestination.lookup(on: channel).assumeIsolated().flatMapThrowing { destination in
            if let local = channel.localAddress, destination == local
                || (destination.port == runtime.configuration.listen.port && Self.isLoopback(destination))
            {
                throw ProxyError(
                    .redirectLoop,
                    "connection to the daemon's own port without a redirect; clients reach it only through `chaperone rules install`"
                )
            }
            try self.addPeekHandler(to: channel, destination: destination)
        }.nonisolated().flatMapError { error in
            // Not a redirected connection (a health probe, `rules status`, or someone dialling the
            // port directly): there is no client exchange to record, and relaying it would loop.
            runtime.logger.debug(
                "closed a connection that was not redirected", metadata: ["error": "\(error)"])
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    private static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    private func addPeekHandler(to channel: any Channel, destination: SocketAddress) throws {
        let id = InterceptedConnection.makeID()
        var logger = runtime.logger
        logger[metadataKey: "conn.id"] = "\(id)"
        let runtime = self.runtime
        let ledger = SessionLedger(id: id, eventLoop: channel.eventLoop, trail: runtime.audit)
        let peek = ClientHelloPeekHandler(
            timeout: runtime.configuration.timeouts.clientHello,
            decide: { hello, context in
                let serverName = hello.serverName
                var logger = logger
                logger[metadataKey: "sni"] = "\(serverName ?? "-")"
                let connection = InterceptedConnection(
                    id: id, clientAddress: channel.remoteAddress, originalDestination: destination,
                    serverName: serverName, provider: serverName.flatMap(runtime.catalog.provider(for:)))
                if serverName == nil, runtime.configuration.noSNI == .reject {
                    return channel.eventLoop.makeFailedFuture(
                        ProxyError(.noServerName, "ClientHello without SNI and no_sni is reject"))
                }
                // Attribution (sock_diag, /proc) runs off the event loop, alongside leaf minting.
                let attribution = channel.eventLoop.makePromise(of: Attribution.self)
                let tuple = connection.socketTuple
                attribution.completeWithTask {
                    guard let attributor = runtime.attributor, let tuple else { return Attribution() }
                    let peer = await attributor.attribute(tuple)
                    var principal: Principal?
                    if let uid = peer.uid, let tokens = runtime.tokens { principal = await tokens.principal(for: uid) }
                    return Attribution(peer: peer, principal: principal)
                }
                let pending = connection
                let pendingLogger = logger
                return attribution.futureResult.flatMap { found in
                    var connection = pending
                    var logger = pendingLogger
                    connection.attribution = found.peer
                    connection.principal = found.principal
                    if let uid = found.peer?.uid { logger[metadataKey: "peer.uid"] = "\(uid)" }
                    ledger.remember(connection)
                    let closing = connection
                    let closingLogger = logger
                    channel.closeFuture.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                        ledger.close(closing, logger: closingLogger)
                    }
                    if let serverName, connection.provider != nil {
                        return Self.intercept(
                            channel: channel, connection: connection, serverName: serverName, runtime: runtime,
                            ledger: ledger, logger: logger)
                    }
                    return Self.splice(
                        channel: channel, connection: connection, runtime: runtime, ledger: ledger, logger: logger)
                }
            },
            reject: { error, _ in
                var record = ExchangeRecord(kind: .error, connectionID: id)
                record.clientAddress = channel.remoteAddress.map(InterceptedConnection.describe)
                record.originalDestination = InterceptedConnection.describe(destination)
                record.error = error.message
                runtime.recorder.record(record)
                let connection = InterceptedConnection(
                    id: id, clientAddress: channel.remoteAddress, originalDestination: destination, serverName: nil,
                    provider: nil)
                ledger.close(connection, error: error.message, logger: logger)
                logger.info("closed a connection", metadata: ["error": "\(error.message)"])
            })
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleStateHandler(allTimeout: runtime.configuration.timeouts.idle))
        try sync.addHandler(IdleConnectionCloser(ledger: ledger))
        try sync.addHandler(peek)
    }

    // MARK: Intercept

    private static func intercept(
        channel: any Channel, connection: InterceptedConnection, serverName: String, runtime: ProxyRuntime,
        ledger: SessionLedger, logger: Logger
    ) -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: NIOSSLContext.self)
        promise.completeWithTask { try await runtime.leafCache.context(for: serverName) }
        return promise.futureResult.assumeIsolated().flatMapThrowing { context in
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(NIOSSLServerHandler(context: context))
            try sync.addHandler(
                TLSFailureRecorder(connection: connection, runtime: runtime, ledger: ledger, logger: logger))
            try sync.addHandler(
                ApplicationProtocolNegotiationHandler { result, channel in
                    var connection = connection
                    let (maskingName, masking) = runtime.maskingEngine(for: connection)
                    let maskingSession = masking.makeSession()
                    logger.debug("client TLS established", metadata: ["alpn": "\(result)"])
                    switch result {
                    case .negotiated(let protocolName):
                        connection.alpn = protocolName
                    case .fallback:
                        connection.alpn = nil
                    }
                    ledger.open(connection, mode: "intercept", masking: maskingName)
                    if connection.alpn == "h2" {
                        return Self.configureHTTP2(
                            channel: channel, connection: connection, ledger: ledger, masking: masking,
                            maskingSession: maskingSession, runtime: runtime, logger: logger)
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try HTTP1PipelineNames.addHTTPHandlers(to: sync)
                        try sync.addHandler(
                            ExchangeHandler(
                                runtime: runtime, connection: connection, ledger: ledger, masking: masking,
                                maskingSession: maskingSession, isHTTP2: false, logger: logger))
                    }
                })
        }.nonisolated()
    }

    private static func configureHTTP2(
        channel: any Channel, connection: InterceptedConnection, ledger: SessionLedger, masking: MaskingEngine,
        maskingSession: MaskingSession, runtime: ProxyRuntime, logger: Logger
    ) -> EventLoopFuture<Void> {
        channel.configureHTTP2Pipeline(mode: .server, inboundStreamInitializer: { stream in
            stream.eventLoop.makeCompletedFuture {
                let sync = stream.pipeline.syncOperations
                try sync.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try sync.addHandler(
                    ExchangeHandler(
                        runtime: runtime, connection: connection, ledger: ledger, masking: masking,
                        maskingSession: maskingSession, isHTTP2: true, logger: logger))
            }
        }).map { _ in }
    }

    // MARK: Splice

    private static func splice(
        channel: any Channel, connection: InterceptedConnection, runtime: ProxyRuntime, ledger: SessionLedger,
        logger: Logger
    ) -> EventLoopFuture<Void> {
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair()
        let start = NIODeadline.now()
        // The upstream channel runs on this loop too, so its initializer may touch the glue.
        let boundGlue = NIOLoopBound(upstreamGlue, eventLoop: channel.eventLoop)
        let connected = ClientBootstrap(group: channel.eventLoop)
            .connectTimeout(runtime.configuration.upstream.connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture {
                    try upstream.pipeline.syncOperations.addHandler(boundGlue.value)
                }
            }
            .connect(to: connection.originalDestination)
        return connected.assumeIsolatedUnsafeUnchecked().flatMapThrowing { _ in
            try channel.pipeline.syncOperations.addHandler(clientGlue)
            ledger.open(connection, mode: "splice")
            ledger.totals = { (clientGlue.bytesRead, upstreamGlue.bytesRead) }
            channel.closeFuture.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                var record = connection.makeRecord(kind: .splice)
                record.requestBytes = clientGlue.bytesRead
                record.responseBytes = upstreamGlue.bytesRead
                record.durationMilliseconds = Double((NIODeadline.now() - start).nanoseconds) / 1e6
                runtime.recorder.record(record)
            }
            logger.debug("splicing", metadata: ["dst": "\(InterceptedConnection.describe(connection.originalDestination))"])
        }.nonisolated().flatMapErrorThrowing { error in
            throw UpstreamErrorClassifier.classify(error)
        }
    }
}
