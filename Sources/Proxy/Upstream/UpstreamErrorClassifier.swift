import NIOCore
import NIOPosix
import NIOSSL

/// Turns connect and TLS errors into the ``ProxyError`` codes the client's error response names.
enum UpstreamErrorClassifier {
    static func classify(_ error: any Error) -> ProxyError {
        if let error = error as? ProxyError { return error }
        let text = String(describing: error)
        if let error = error as? ChannelError, case .connectTimeout = error {
            return ProxyError(.upstreamTimeout, "connect timed out")
        }
        if error is NIOSSLExtraError || text.contains("CERTIFICATE_VERIFY_FAILED")
            || text.contains("certificate verify failed")
        {
            return ProxyError(.upstreamCertificateInvalid, text)
        }
        if error is NIOSSLError {
            return ProxyError(.upstreamCertificateInvalid, "TLS handshake failed: \(text)")
        }
        if let connectError = error as? NIOConnectionError {
            let reasons = connectError.connectionErrors.map { "\($0.target): \($0.error)" }.joined(separator: "; ")
            return ProxyError(.upstreamUnreachable, reasons.isEmpty ? text : reasons)
        }
        return ProxyError(.upstreamUnreachable, text)
    }
}
