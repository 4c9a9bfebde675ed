public import Logging
public import NIOCore

/// Creates the sink a configuration entry describes.
///
/// - Parameters:
///   - configuration: One decoded `sinks:` entry.
///   - eventLoopGroup: Where network sinks run their connections.
///   - logger: The caller's logger; sinks add `sink` metadata.
/// - Throws: ``SinkError`` when a TLS file named by the configuration cannot be read.
public func makeSink(_ configuration: SinkConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) throws -> any AuditSink {
    switch configuration {
    case .syslog(let syslog):
        try SyslogSink(configuration: syslog, eventLoopGroup: eventLoopGroup, logger: logger)
    case .jsonLines(let jsonLines):
        JSONLinesFileSink(configuration: jsonLines, logger: logger)
    case .otlp(let otlp):
        try OTLPHTTPSink(configuration: otlp, eventLoopGroup: eventLoopGroup, logger: logger)
    }
}
