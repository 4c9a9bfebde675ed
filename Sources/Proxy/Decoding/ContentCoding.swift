import Foundation
import NIOHTTP1

/// A content coding (RFC 9110 §8.4.1) that Chaperone decodes before masking a body.
enum ContentCoding: String, Sendable, CaseIterable {
    case gzip
    case deflate
    case br

    /// The most codings one body may stack (`Content-Encoding: gzip, br`); more is refused.
    /// Real servers apply one; a long chain only multiplies decoders and their memory.
    static let maxStacked = 2

    /// The codings of a message, in the order they were applied (the order of its
    /// `Content-Encoding` header lines and list items); empty for an identity body.
    ///
    /// `identity` items are skipped; `x-gzip` is `gzip` (RFC 9110 §8.4.1.3). Names are
    /// case-insensitive.
    ///
    /// - Parameter headers: The message's head.
    /// - Throws: ``BodyDecodingError`` with `.unsupported` naming the first coding we do not
    ///   decode, or saying the body stacks more than ``maxStacked`` codings.
    static func codings(in headers: HTTPHeaders) throws(BodyDecodingError) -> [ContentCoding] {
        var codings: [ContentCoding] = []
        for item in headers[canonicalForm: "content-encoding"] {
            let name = item.trimmingCharacters(in: .whitespaces).lowercased()
            switch name {
            case "", "identity": continue
            case "x-gzip": codings.append(.gzip)
            default:
                guard let coding = ContentCoding(rawValue: name) else {
                    throw BodyDecodingError(
                        .unsupported,
                        coding: name,
                        "the \(name) content coding is not one Chaperone decodes (gzip, deflate, br)"
                    )
                }
                codings.append(coding)
            }
        }
        guard codings.count <= maxStacked else {
            let list = codings.map(\.rawValue).joined(separator: ", ")
            throw BodyDecodingError(
                .unsupported,
                coding: list,
                "the body stacks \(codings.count) content codings (\(list)); Chaperone decodes at most \(maxStacked)"
            )
        }
        return codings
    }
}
