import Audit
import Foundation
import Interception
import Logging
import Masking
import NIOCore
import NIOHTTP1

/// Relays one client's requests to the provider, one exchange at a time, streaming both bodies.
///
/// It sits at the end of the client-facing pipeline of an HTTP/1.1 connection, or of one HTTP/2
/// stream (after `HTTP2FramePayloadToHTTP1ServerCodec`), so both versions meet the upstream as
/// HTTP/1.1 parts. Request parts go upstream as they arrive; response parts come back as they
/// arrive and are flushed per read, so an SSE completion reaches the client event by event.
/// Reads on each side are asked for only while the other side is writable (backpressure).
final class ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request head.
        case idle
        /// The policy has not decided yet: the head and the masked body so far wait here, and
        /// nothing has gone upstream. `deciding` once the gate was asked.
        case held(buffered: [HTTPClientRequestPart], bodyBytes: Int, deciding: Bool)
        /// The upstream is being connected; request parts wait here.
        case connecting(buffered: [HTTPClientRequestPart])
        /// Request and response flow through `upstream`.
        case relaying(UpstreamConnection)
        /// The exchange failed and an error response was sent; the rest of the request is discarded.
        case failed
        /// The connection became a WebSocket stream; the glue handlers own it now.
        case upgraded
    }

    private let runtime: ProxyRuntime
    private let ledger: SessionLedger
    /// The masking rule set the policy names for this connection's principal.
    private let masking: MaskingEngine
    private let maskingSession: MaskingSession
    private var connection: InterceptedConnection
    private let isHTTP2: Bool
    private let logger: Logger
    private var state = State.idle
    private var exchange: ExchangeProgress?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// A `101 Switching Protocols` head waiting for its `.end` before the stream is taken over.
    private var pendingUpgrade: HTTPResponseHead?
    /// The policy's work on the held request (a hold can wait minutes); cancelled when the client goes.
    private var decision: Task<GateVerdict, Never>?

    /// - Parameters:
    ///   - runtime: The daemon's shared state.
    ///   - connection: What is known of the client connection.
    ///   - ledger: The connection's audit session, shared by its HTTP/2 streams.
    ///   - masking: The connection's masking rule set.
    ///   - maskingSession: The connection's masking session, shared by its HTTP/2 streams.
    ///   - isHTTP2: Whether this handler serves one HTTP/2 stream.
    ///   - logger: The connection's logger.
    init(
        runtime: ProxyRuntime, connection: InterceptedConnection, ledger: SessionLedger, masking: MaskingEngine,
        maskingSession: MaskingSession, isHTTP2: Bool, logger: Logger
    ) {
        self.runtime = runtime
        self.ledger = ledger
        self.masking = masking
        self.maskingSession = maskingSession
        self.connection = connection
        self.isHTTP2 = isHTTP2
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            beginExchange(head, context: context)
        case .body(let buffer):
            exchange?.requestBytes += buffer.readableBytes
            forwardRequestBody(buffer.readableBytesView, context: context)
        case .end(let trailers):
            exchange?.requestEnded = true
            if let decoder = exchange?.requestDecoder, !isFailed {
                // A compressed body must end where its stream does: a truncated one is refused.
                do { try decoder.finish() } catch {
                    refuseUndecodableRequest(error, context: context)
                    return
                }
            }
            if let rest = exchange?.requestMasking?.finish() { forwardMasked(rest, context: context) }
            if let elapsed = exchange?.elapsedMilliseconds, let found = exchange?.requestCapture?.finish(at: elapsed) {
                exchange?.findings.add(found, direction: .record)
            }
            recordRequest()
            forward(.end(trailers))
            switch state {
            case .failed: finishExchange(context: context)
            case .held(_, _, deciding: false): decide(bodyInspected: true, context: context)
            default: break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .relaying(let upstream) = state { upstream.flush() }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        switch state {
        case .relaying(let upstream) where !upstream.isWritable:
            pendingRead = true
        case .connecting:
            pendingRead = true
        case .held(_, let bodyBytes, let deciding) where deciding || bodyBytes > (runtime.policy?.inspectLimit ?? 0):
            pendingRead = true
        default:
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .relaying(let upstream) = state {
            upstream.handler.resumeReading()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        decision?.cancel()
        if let exchange, !exchange.isComplete {
            // The client went away mid-exchange: cancel the upstream request rather than pay for it.
            if case .relaying(let upstream) = state { upstream.abandon() }
            // An exchange that already failed and answered (an HTTP/2 client resets the stream of
            // a refused upload) keeps its own reason.
            finishRecord(error: exchange.error ?? ProxyError(.clientClosed, "the client closed the connection mid-exchange").message)
        } else if exchange != nil, case .relaying = state {
            // Relayed to the end but not finished yet: an HTTP/2 stream closes while its last
            // frame is being written, before the write returns to `upstreamReady`. Finish here, so
            // the upstream goes back to the pool (the later call finds nothing left to do). An
            // exchange that failed is finished by its own path, which sets its error first.
            finishExchange(context: context)
        }
        state = .idle
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Exchange lifecycle

    private func beginExchange(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else {
            // HTTPServerPipelineHandler serialises requests; a second head here is a bug upstream of us.
            context.close(promise: nil)
            return
        }
        logger.debug(
            "request",
            metadata: [
                "method": "\(head.method.rawValue)",
                "path": "\(masking.forRecord(head.uri, session: maskingSession))",
            ])
        ledger.exchanges += 1
        var progress = ExchangeProgress(id: "\(ledger.id).\(ledger.exchanges)", head: head, start: .now())
        let isUpgrade = !isHTTP2 && head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
        progress.isUpgrade = isUpgrade
        var upstreamHead = HeaderRewriter.upstreamHead(
            from: head, serverName: connection.serverName ?? "", keepUpgrade: isUpgrade)
        // Responses must arrive in a form the masker can read.
        upstreamHead.headers.replaceOrAdd(name: "accept-encoding", value: "identity")
        let dialect = SSEEventMasker.Dialect.of(connection.provider?.wireFormat ?? .openai, path: head.uri)
        progress.requestMasking = BodyMaskingStream.make(
            for: head.headers, masker: masking.request, session: maskingSession, dialect: dialect)
        if progress.requestMasking != nil, let audit = runtime.audit {
            progress.requestCapture = BodyCapture(
                limit: audit.bodyLimit,
                recordMasking: masking.recordAfterRequest.flatMap {
                    BodyMaskingStream.make(for: head.headers, masker: $0, session: maskingSession, dialect: dialect)
                })
        }
        exchange = progress
        if progress.requestMasking != nil {
            // A gzip, deflate or br body is decoded before the masker and goes upstream identity;
            // a coding we cannot decode is refused, never passed on unread.
            do {
                let codings = try ContentCoding.codings(in: head.headers)
                if !codings.isEmpty {
                    exchange?.requestDecoder = try BodyDecoder(codings: codings, limits: decodingLimits)
                    upstreamHead.headers.remove(name: "content-encoding")
                }
            } catch {
                state = .failed
                exchange?.error = "request body is \(error.coding)-encoded: \(error.message)"
                respondWithError(ProviderErrorBody(
                    status: 415, type: "request_encoding_unsupported",
                    message: "Chaperone inspects request bodies and cannot read this one: \(error.message). Send it uncompressed, or as gzip, deflate or br."))
                return
            }
            // Masking changes the length: the body goes upstream chunked.
            upstreamHead.headers.remove(name: "content-length")
            upstreamHead.headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
        }
        if let gate = runtime.policy {
            // Nothing goes upstream before the policy has decided; it decides on the head alone
            // when no rule reads the body, else once the body is in (or over the inspect limit).
            state = .held(buffered: [.head(upstreamHead)], bodyBytes: 0, deciding: false)
            if !gate.needsBody { decide(bodyInspected: false, context: context) }
            return
        }
        state = .connecting(buffered: [.head(upstreamHead)])
        connectUpstream(context: context)
    }

    private func connectUpstream(context: ChannelHandlerContext) {
        let pool = runtime.pool(for: context.eventLoop)
        let pooled = !(exchange?.isUpgrade ?? false)
        pool.acquire(address: connection.originalDestination, serverName: connection.serverName ?? "", pooled: pooled)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                self.upstreamAcquired(result)
            }
    }

    // MARK: Policy

    /// Asks the policy about the held request; the answer comes back on this event loop.
    private func decide(bodyInspected: Bool, context: ChannelHandlerContext) {
        guard let gate = runtime.policy, let exchange, case .held(let buffered, let heldBytes, false) = state else { return }
        state = .held(buffered: buffered, bodyBytes: heldBytes, deciding: true)
        var body: [UInt8] = []
        // Only a body the masker read goes to the policy: nothing unmasked leaves the handler.
        if bodyInspected, exchange.requestMasking != nil {
            for case .body(.byteBuffer(let buffer)) in buffered { body.append(contentsOf: buffer.readableBytesView) }
        }
        // A compressed body's size is what it decodes to (a size rule is not dodged by compressing),
        // known only at its end.
        let bodyBytes =
            exchange.requestEnded
            ? exchange.requestDecoder?.decodedBytes ?? exchange.requestBytes
            : exchange.requestDecoder == nil ? exchange.head.headers.first(name: "content-length").flatMap(Int.init) : nil
        var entities: [String: Int] = [:]
        for entry in exchange.findings.entries where entry.direction == "request" {
            entities[entry.entity.lowercased(), default: 0] += entry.count
        }
        let input = GateInput(
            session: ledger.id, exchange: exchange.id, principal: connection.effectivePrincipal,
            unixUser: connection.attribution?.userName, uid: connection.attribution?.uid,
            provider: connection.provider?.name, host: connection.serverName ?? "",
            method: exchange.head.method.rawValue,
            path: masking.forRecord(exchange.head.uri, session: maskingSession), body: body,
            bodyBytes: bodyBytes, bodyInspected: bodyInspected && exchange.requestEnded,
            contentType: exchange.head.headers.first(name: "content-type"), entities: entities)
        // Allow, grant and deny are decided here, on the event loop; only an approval (which can
        // wait minutes for a human) runs as a task.
        let pending: PolicyGate.ApprovalToRun
        switch gate.decide(input) {
        case .verdict(let verdict):
            apply(verdict, to: exchange.id)
            return
        case .approval(let approval):
            pending = approval
        }
        ledger.activeHolds += 1
        let task = Task { await gate.runApproval(pending, input: input) }
        decision = task
        let promise = context.eventLoop.makePromise(of: GateVerdict.self)
        promise.completeWithTask { await task.value }
        let exchangeID = exchange.id
        promise.futureResult.assumeIsolatedUnsafeUnchecked().whenSuccess { verdict in
            self.ledger.activeHolds -= 1
            self.decision = nil
            self.apply(verdict, to: exchangeID)
        }
    }

    private func apply(_ verdict: GateVerdict, to exchangeID: String) {
        guard let context, exchange?.id == exchangeID, case .held(let buffered, _, true) = state else { return }
        switch verdict {
        case .proceed(let note):
            exchange?.decision = note
            state = .connecting(buffered: buffered)
            connectUpstream(context: context)
        case .refuse(let body, let note):
            exchange?.decision = note
            exchange?.error = "refused by policy: \(note)"
            respondWithError(body)
            state = .failed
            if exchange?.requestEnded == true { finishExchange(context: context) }
            if pendingRead {
                // Drain the rest of the request body so the connection stays usable.
                pendingRead = false
                context.read()
            }
        }
    }

    private func upstreamAcquired(_ result: Result<UpstreamConnection, any Error>) {
        guard case .connecting(let buffered) = state, let context else {
            if case .success(let upstream) = result { upstream.close() }
            return
        }
        switch result {
        case .success(let upstream):
            upstream.handler.owner = self
            state = .relaying(upstream)
            for part in buffered { upstream.write(part) }
            upstream.flush()
            if pendingRead, upstream.isWritable {
                pendingRead = false
                context.read()
            }
        case .failure(let error):
            let proxyError = UpstreamErrorClassifier.classify(error)
            logger.warning(
                "upstream failed", metadata: ["error": "\(proxyError.message)", "code": "\(proxyError.code)"])
            respondWithError(ProviderErrorBody.upstreamFailure(proxyError, host: connection.serverName ?? "?"))
            exchange?.error = proxyError.message
            state = .failed
            if exchange?.requestEnded == true { finishExchange(context: context) }
            if pendingRead {
                pendingRead = false
                context.read()
            }
        }
    }

    private func forwardRequestBody(_ bytes: ByteBufferView, context: ChannelHandlerContext) {
        guard exchange?.requestMasking != nil else {
            forward(.body(.byteBuffer(ByteBuffer(bytes))))
            return
        }
        if let decoder = exchange?.requestDecoder {
            // The masker reads only decoded bytes; once the exchange failed there is no point decoding.
            if isFailed { return }
            do {
                let decoded = try decoder.feed(bytes)
                if let output = exchange?.requestMasking?.feed(decoded) { forwardMasked(output, context: context) }
            } catch {
                refuseUndecodableRequest(error, context: context)
            }
            return
        }
        if let output = exchange?.requestMasking?.feed(bytes) { forwardMasked(output, context: context) }
    }

    /// Ends an exchange whose compressed request body cannot be decoded (malformed, truncated or
    /// over the decoding limits): nothing more goes upstream (a provider that already has the
    /// head loses its connection before the body is complete, so it never answers) and the
    /// client gets a 400 in the provider's shape saying which coding failed and how.
    private func refuseUndecodableRequest(_ error: BodyDecodingError, context: ChannelHandlerContext) {
        if case .relaying(let upstream) = state { upstream.abandon() }
        if isFailed { return }
        decision?.cancel()
        exchange?.error = "request body undecodable: \(error.message)"
        respondWithError(ProviderErrorBody(
            status: 400, type: "request_body_undecodable",
            message: "Chaperone could not decode the request body to inspect it: \(error.message). Send it uncompressed or correctly encoded."))
        state = .failed
        if exchange?.requestEnded == true {
            finishExchange(context: context)
        } else if pendingRead {
            // Drain the rest of the request body (discarded) so the connection stays usable.
            pendingRead = false
            context.read()
        }
    }

    private var isFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    /// The bounds on decoding one compressed body, from the configuration.
    private var decodingLimits: BodyDecoder.Limits {
        BodyDecoder.Limits(
            maxDecodedBytes: runtime.configuration.decoding.maxBodyBytes,
            maxRatio: runtime.configuration.decoding.maxRatio)
    }

    /// Sends masked request bytes upstream and tallies the findings; a blocking finding ends the
    /// exchange: the provider's connection is closed before the request is complete, so it is
    /// never answered, and the client gets a 403 saying which rule blocked it.
    private func forwardMasked(_ output: MaskedOutput, context: ChannelHandlerContext) {
        exchange?.findings.add(output.findings, direction: .request)
        if !output.bytes.isEmpty, let elapsed = exchange?.elapsedMilliseconds,
            let found = exchange?.requestCapture?.append(output.bytes, at: elapsed), !found.isEmpty
        {
            exchange?.findings.add(found, direction: .record)
        }
        if exchange?.findings.isBlocking == true {
            if case .relaying(let upstream) = state { upstream.abandon() }
            if case .failed = state { return }
            let rules = exchange?.findings.entries.filter { $0.action == "block" }.map(\.rule) ?? []
            exchange?.error = "blocked by masking rule \(rules.joined(separator: ","))"
            respondWithError(ProviderErrorBody(
                status: 403, type: "blocked_by_policy",
                message: "Chaperone blocked this request: it contains data that masking rule '\(rules.joined(separator: ", "))' does not allow to leave this host. Remove it and retry."))
            state = .failed
            if exchange?.requestEnded == true { finishExchange(context: context) }
            return
        }
        guard !output.bytes.isEmpty else { return }
        forward(.body(.byteBuffer(context.channel.allocator.buffer(bytes: output.bytes))))
    }

    private func forward(_ part: HTTPClientRequestPart) {
        switch state {
        case .held(var buffered, var bodyBytes, let deciding):
            if case .body(.byteBuffer(let buffer)) = part { bodyBytes += buffer.readableBytes }
            buffered.append(part)
            state = .held(buffered: buffered, bodyBytes: bodyBytes, deciding: deciding)
            if !deciding, let gate = runtime.policy, bodyBytes > gate.inspectLimit, let context {
                decide(bodyInspected: false, context: context)
            }
        case .connecting(var buffered):
            buffered.append(part)
            state = .connecting(buffered: buffered)
        case .relaying(let upstream):
            upstream.write(part)
        case .idle, .failed, .upgraded:
            break
        }
    }

    /// Ends the current exchange once both directions are done: records it, returns the upstream to
    /// the pool when it can serve again, and closes an HTTP/1 client that asked for it.
    private func finishExchange(context: ChannelHandlerContext) {
        guard let exchange else { return }
        if case .relaying(let upstream) = state {
            if !exchange.responseEnded || !exchange.requestEnded { upstream.isReusable = false }
            runtime.pool(for: context.eventLoop).release(upstream)
        }
        finishRecord(error: exchange.error)
        state = .idle
        if !isHTTP2, !exchange.head.isKeepAlive || exchange.closeAfterResponse {
            context.close(promise: nil)
        }
    }

    private func finishRecord(error: String?) {
        guard var exchange else { return }
        exchange.error = error ?? exchange.error
        self.exchange = exchange
        recordRequest()
        exchange.requestRecorded = true
        var record = connection.makeRecord(kind: exchange.upgraded ? .websocket : .exchange)
        exchange.fill(&record)
        // A query string can carry a key (Gemini's `?key=`) or an address: never write it raw.
        record.path = masking.forRecord(exchange.head.uri, session: maskingSession)
        runtime.recorder.record(record)
        recordResponse(exchange, record: record)
        ledger.bytesIn += exchange.requestBytes
        ledger.bytesOut += exchange.responseBytes
        if let error = record.error, ledger.error == nil { ledger.error = error }
        var metadata: Logger.Metadata = [
            "method": "\(exchange.head.method.rawValue)", "path": "\(record.path ?? "")",
            "status": "\(exchange.status.map(String.init) ?? "-")",
        ]
        if let decision = exchange.decision { metadata["policy"] = "\(decision)" }
        if let error = record.error { metadata["error"] = "\(error)" }
        logger.info("exchange", metadata: metadata)
        self.exchange = nil
    }

    // MARK: Audit

    /// Writes `exchange.request` once: method, path, model, the masked body and the request's findings.
    private func recordRequest() {
        guard let audit = runtime.audit, var exchange, !exchange.requestRecorded else { return }
        exchange.requestRecorded = true
        self.exchange = exchange
        let path = masking.forRecord(exchange.head.uri, session: maskingSession)
        let requestFindings = exchange.findings.entries.filter { $0.direction != "response" }
        var payload: [String: AuditValue] = [
            "method": .string(exchange.head.method.rawValue), "path": .string(path),
            "provider": .text(connection.provider?.name), "host": .text(connection.serverName),
            "content_type": .text(exchange.head.headers.first(name: "content-type")),
            "body_bytes": .integer(exchange.requestBytes), "complete": .bool(exchange.requestEnded),
            "model": .text(exchange.requestCapture.flatMap { RequestFacts.model(inJSON: Array($0.text.utf8), path: path) }
                ?? RequestFacts.model(inJSON: [], path: path)),
            "findings": AuditPayloads.findings(requestFindings),
        ]
        payload.merge(AuditPayloads.body(exchange.requestCapture, streamed: false)) { _, new in new }
        audit.submit(
            .exchangeRequest, session: ledger.id, exchange: exchange.id, principal: ledger.subject,
            payload: .object(payload), time: exchange.startedAt)
    }

    /// Writes `exchange.response`: status, the masked body (timed chunks for a stream), usage,
    /// the response's findings, timing and how it ended.
    private func recordResponse(_ exchange: ExchangeProgress, record: ExchangeRecord) {
        guard let audit = runtime.audit else { return }
        var payload: [String: AuditValue] = [
            "status": .integer(exchange.status), "content_type": .text(exchange.responseContentType),
            "stream": .bool(exchange.responseIsStream), "body_bytes": .integer(exchange.responseBytes),
            "ttfb_ms": .milliseconds(record.timeToFirstByteMilliseconds),
            "duration_ms": .milliseconds(record.durationMilliseconds), "error": .text(record.error),
            "decision": .text(exchange.decision), "websocket": .bool(exchange.upgraded),
            "findings": AuditPayloads.findings(
                exchange.findings.entries.filter { $0.direction == "response" } + exchange.responseRecordFindings.entries),
            "usage": exchange.responseCapture.flatMap { TokenUsage.extract(from: $0.text) }
                .map { AuditValue.object($0.mapValues { .int(Int64($0)) }) } ?? .null,
        ]
        if exchange.responseCapture != nil {
            payload.merge(AuditPayloads.body(exchange.responseCapture, streamed: exchange.responseIsStream)) { _, new in new }
        } else {
            payload["body"] = .null
            payload["body_recorded"] = .bool(false)
        }
        audit.submit(
            .exchangeResponse, session: ledger.id, exchange: exchange.id, principal: ledger.subject,
            payload: .object(payload))
    }

    private func respondWithError(_ body: ProviderErrorBody) {
        guard let context, var exchange, !exchange.responseHeadSent else { return }
        let format = connection.provider?.wireFormat ?? .openai
        let bytes = body.json(for: format)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(bytes.count))
        headers.add(name: "x-chaperone-error", value: body.type)
        let version = isHTTP2 ? HTTPVersion.http2 : exchange.head.version
        let status = HTTPResponseStatus(statusCode: body.status)
        // The exchange's state is settled before the writes: ending an HTTP/2 stream can close
        // its channel (and run channelInactive) inside the flush.
        exchange.responseHeadSent = true
        exchange.responseEnded = true
        exchange.status = body.status
        exchange.responseBytes = bytes.count
        exchange.closeAfterResponse = true
        self.exchange = exchange
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    // MARK: Upstream side (called by UpstreamHandler, on the same event loop)

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard let context, var exchange else { return }
        switch part {
        case .head(let head):
            exchange.markFirstByte()
            exchange.status = Int(head.status.code)
            exchange.responseHeadSent = true
            if !head.isKeepAlive, case .relaying(let upstream) = state { upstream.isReusable = false }
            self.exchange = exchange
            if exchange.isUpgrade, head.status == .switchingProtocols {
                // Switch once the decoder has delivered the 101's end: after it, it parses nothing more.
                pendingUpgrade = head
                return
            }
            var clientHead = HeaderRewriter.clientHead(from: head, version: isHTTP2 ? .http2 : exchange.head.version)
            let format = connection.provider?.wireFormat ?? .openai
            let dialect = SSEEventMasker.Dialect.of(format, path: exchange.head.uri)
            let jsonEvents = SSEEventMasker.Dialect.streamsJSONEvents(format, path: exchange.head.uri)
            exchange.responseMasking = BodyMaskingStream.make(
                for: head.headers, masker: masking.response, session: maskingSession, dialect: dialect,
                jsonEvents: jsonEvents)
            exchange.responseContentType = head.headers.first(name: "content-type")
            exchange.responseIsStream = exchange.responseContentType?.lowercased().hasPrefix("text/event-stream") ?? false
            if exchange.responseMasking != nil, let audit = runtime.audit {
                exchange.responseCapture = BodyCapture(
                    limit: audit.bodyLimit,
                    recordMasking: masking.recordAfterResponse.flatMap {
                        BodyMaskingStream.make(
                            for: head.headers, masker: $0, session: maskingSession, dialect: dialect, jsonEvents: jsonEvents)
                    })
            }
            if exchange.responseMasking != nil {
                // We asked for identity. A provider that compresses anyway with gzip, deflate or br
                // is decoded, masked and sent on identity; any other coding must not reach the
                // client unmasked.
                do {
                    let codings = try ContentCoding.codings(in: head.headers)
                    if !codings.isEmpty {
                        exchange.responseDecoder = try BodyDecoder(codings: codings, limits: decodingLimits)
                        clientHead.headers.remove(name: "content-encoding")
                    }
                } catch {
                    exchange.responseHeadSent = false
                    self.exchange = exchange
                    if case .relaying(let upstream) = state { upstream.abandon() }
                    upstreamClosed(error: ProxyError(
                        .upstreamUnreadable, "the provider sent a body that cannot be masked: \(error.message)"))
                    return
                }
                clientHead.headers.remove(name: "content-length")
            }
            self.exchange = exchange
            context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        case .body(let buffer):
            exchange.responseBytes += buffer.readableBytes
            if exchange.responseMasking != nil {
                let output: MaskedOutput
                if let decoder = exchange.responseDecoder {
                    do {
                        output = exchange.responseMasking!.feed(try decoder.feed(buffer.readableBytesView))
                    } catch {
                        self.exchange = exchange
                        cutUndecodableResponse(error)
                        return
                    }
                } else {
                    output = exchange.responseMasking!.feed(buffer.readableBytesView)
                }
                exchange.findings.add(output.findings, direction: .response)
                if !output.bytes.isEmpty, exchange.responseCapture != nil {
                    let found = exchange.responseCapture!.append(output.bytes, at: exchange.elapsedMilliseconds)
                    if !found.isEmpty { exchange.responseRecordFindings.add(found, direction: .record) }
                }
                self.exchange = exchange
                if !output.bytes.isEmpty {
                    context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: output.bytes)))), promise: nil)
                }
                return
            }
            self.exchange = exchange
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            if let decoder = exchange.responseDecoder {
                do { try decoder.finish() } catch {
                    cutUndecodableResponse(error)
                    return
                }
            }
            if let output = exchange.responseMasking?.finish() {
                exchange.findings.add(output.findings, direction: .response)
                if exchange.responseCapture != nil {
                    var found = exchange.responseCapture!.append(output.bytes, at: exchange.elapsedMilliseconds)
                    found += exchange.responseCapture!.finish(at: exchange.elapsedMilliseconds)
                    if !found.isEmpty { exchange.responseRecordFindings.add(found, direction: .record) }
                }
                if !output.bytes.isEmpty {
                    context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: output.bytes)))), promise: nil)
                }
            }
            if let upgrade = pendingUpgrade {
                pendingUpgrade = nil
                beginUpgrade(upgrade, context: context)
                return
            }
            exchange.responseEnded = true
            self.exchange = exchange
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if exchange.requestEnded {
                finishExchange(context: context)
            } else {
                // The provider answered before the request finished: the connection cannot be reused.
                if case .relaying(let upstream) = state { upstream.isReusable = false }
            }
        }
    }

    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable, pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    func upstreamClosed(error: ProxyError?) {
        guard let context, let exchange, !exchange.isComplete else { return }
        let reason = error ?? ProxyError(.upstreamClosed, "the provider closed the connection mid-response")
        if case .relaying(let upstream) = state { upstream.isReusable = false }
        if exchange.responseHeadSent {
            // Part of the response is already with the client: all we can do is cut it short so it
            // sees a truncated body rather than a complete-looking one.
            self.exchange?.error = reason.message
            finishRecord(error: reason.message)
            state = .idle
            context.close(promise: nil)
        } else {
            respondWithError(ProviderErrorBody.upstreamFailure(reason, host: connection.serverName ?? "?"))
            self.exchange?.error = reason.message
            state = .failed
            if self.exchange?.requestEnded == true { finishExchange(context: context) }
        }
    }

    /// Ends a response whose compressed body stopped decoding (malformed, truncated, over the
    /// limits): the head is already with the client, so it is cut as if the provider had closed;
    /// not one undecoded byte is passed on.
    private func cutUndecodableResponse(_ error: BodyDecodingError) {
        if case .relaying(let upstream) = state { upstream.abandon() }
        upstreamClosed(error: ProxyError(
            .upstreamUnreadable, "the provider's response body could not be decoded: \(error.message)"))
    }

    // MARK: WebSocket

    private func beginUpgrade(_ head: HTTPResponseHead, context: ChannelHandlerContext) {
        guard case .relaying(let upstream) = state else { return }
        upstream.isReusable = false
        exchange?.upgraded = true
        state = .upgraded
        let clientHead = HeaderRewriter.clientHead(from: head, version: exchange?.head.version ?? .http1_1, keepUpgrade: true)
        context.write(wrapOutboundOut(.head(clientHead)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair()
        do {
            try HTTP1PipelineNames.removeHTTPHandlers(from: context.pipeline, replacingWith: clientGlue)
            try UpstreamPipelineNames.removeHTTPHandlers(from: upstream.channel.pipeline, replacingWith: upstreamGlue)
        } catch {
            logger.warning("cannot switch to the WebSocket stream", metadata: ["error": "\(error)"])
            upstream.close()
            context.close(promise: nil)
            return
        }
        // The record is written when the stream ends, with the bytes it carried.
        let recorder = runtime.recorder
        recordRequest()
        if var exchange {
            var record = connection.makeRecord(kind: .websocket)
            exchange.responseEnded = true
            exchange.fill(&record)
            record.path = masking.forRecord(exchange.head.uri, session: maskingSession)
            let start = exchange.start
            context.channel.closeFuture.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                record.requestBytes += clientGlue.bytesRead
                record.responseBytes += upstreamGlue.bytesRead
                record.durationMilliseconds = Double((NIODeadline.now() - start).nanoseconds) / 1e6
                recorder.record(record)
            }
            // The stream's frames are relayed, not recorded; its response event marks the switch.
            recordResponse(exchange, record: record)
            self.exchange = nil
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

@available(*, unavailable)
extension ExchangeHandler: Sendable {}
