import NIOCore
import NIOHTTP1

/// The names of the HTTP/1 handlers in a client-facing pipeline, so an upgrade can take them out.
enum HTTP1PipelineNames {
    static let encoder = "http-response-encoder"
    static let decoder = "http-request-decoder"
    static let pipelining = "http-pipelining"
    static let errors = "http-errors"

    /// Adds the HTTP/1 server handlers by name.
    static func addHTTPHandlers(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        try pipeline.addHandler(HTTPResponseEncoder(), name: encoder)
        try pipeline.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)), name: decoder)
        try pipeline.addHandler(HTTPServerPipelineHandler(), name: pipelining)
        try pipeline.addHandler(HTTPServerProtocolErrorHandler(), name: errors)
    }

    /// Puts `glue` at the end and removes the HTTP handlers; bytes the decoder held reach `glue`.
    static func removeHTTPHandlers(from pipeline: ChannelPipeline, replacingWith glue: GlueHandler) throws {
        let sync = pipeline.syncOperations
        try sync.addHandler(glue)
        for name in [errors, pipelining, encoder, decoder] {
            sync.removeHandler(name: name, promise: nil)
        }
    }
}

/// The names of the HTTP/1 client handlers in an upstream pipeline.
enum UpstreamPipelineNames {
    static let encoder = "http-request-encoder"
    static let decoder = "http-response-decoder"
    static let upstream = "upstream"

    static func addHTTPHandlers(to pipeline: ChannelPipeline.SynchronousOperations, handler: UpstreamHandler) throws {
        try pipeline.addHandler(HTTPRequestEncoder(), name: encoder)
        try pipeline.addHandler(
            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)), name: decoder)
        try pipeline.addHandler(handler, name: upstream)
    }

    static func removeHTTPHandlers(from pipeline: ChannelPipeline, replacingWith glue: GlueHandler) throws {
        let sync = pipeline.syncOperations
        try sync.addHandler(glue)
        for name in [upstream, encoder, decoder] {
            sync.removeHandler(name: name, promise: nil)
        }
    }
}
