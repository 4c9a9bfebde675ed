@testable import Proxy
import Testing

/// Expects that parsing `bytes` throws an error with `code`.
///
/// - Parameters:
///   - code: The expected error code.
///   - bytes: The stream prefix to parse.
///   - parser: The parser to use.
///   - sourceLocation: Where to report a failure.
func expectError(
    _ code: ClientHelloError.Code,
    parsing bytes: [UInt8],
    with parser: ClientHelloParser = ClientHelloParser(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let result = try parser.parse(bytes)
        Issue.record("expected \(code), got \(result)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    }
}

/// Parses a complete synthetic hello and returns what was read, recording an issue otherwise.
///
/// - Parameters:
///   - bytes: A complete ClientHello record stream.
///   - sourceLocation: Where to report a failure.
func parsedInfo(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> ClientHelloInfo? {
    let result = try ClientHelloParser().parse(bytes)
    guard case .complete(let info, let consumed) = result, consumed == bytes.count else {
        Issue.record("expected a complete hello of \(bytes.count) bytes, got \(result)", sourceLocation: sourceLocation)
        return nil
    }
    return info
}
