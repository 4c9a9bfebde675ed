import Foundation
import Interception

/// An error response in the provider's own JSON shape, so an SDK prints the message to its user.
///
/// OpenAI-compatible clients expect `{"error":{"message","type","param","code"}}`; Anthropic's
/// expect `{"type":"error","error":{"type","message"}}`.
struct ProviderErrorBody: Sendable {
    let status: Int
    let type: String
    let message: String

    /// The JSON bytes for `format`.
    func json(for format: WireFormat) -> [UInt8] {
        let object: [String: Any]
        switch format {
        case .anthropic:
            object = ["type": "error", "error": ["type": type, "message": message]]
        default:
            object = ["error": ["message": message, "type": type, "param": NSNull(), "code": type]]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// The response for an upstream failure: 504 for a timeout, 502 otherwise.
    static func upstreamFailure(_ error: ProxyError, host: String) -> ProviderErrorBody {
        switch error.code {
        case .upstreamTimeout:
            return ProviderErrorBody(
                status: 504, type: "upstream_timeout",
                message: "Chaperone could not reach \(host) in time: \(error.message)")
        case .upstreamCertificateInvalid:
            return ProviderErrorBody(
                status: 502, type: "upstream_certificate_invalid",
                message: "Chaperone refused \(host): its certificate did not verify (\(error.message)). Ask your security team to check the upstream trust bundle.")
        case .upstreamUnreadable:
            return ProviderErrorBody(
                status: 502, type: "upstream_unreadable",
                message: "Chaperone could not inspect the answer of \(host): \(error.message)")
        case .upstreamClosed:
            return ProviderErrorBody(
                status: 502, type: "upstream_closed",
                message: "\(host) closed the connection before answering: \(error.message)")
        default:
            return ProviderErrorBody(
                status: 502, type: "upstream_unreachable",
                message: "Chaperone could not connect to \(host): \(error.message)")
        }
    }
}
