import NIOHTTP1

/// Rewrites heads between the client's connection and the provider's, dropping what is hop-by-hop.
///
/// Connection-specific headers (RFC 9110 7.6.1) describe one TCP connection and must not cross a
/// proxy; the client's and the provider's connections are different ones (and may be different
/// HTTP versions). Framing headers (`content-length`, `transfer-encoding`) stay: NIO's encoders
/// frame bodies from them, and the HTTP/2 codec drops `transfer-encoding` itself.
enum HeaderRewriter {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "upgrade",
    ]

    /// The head sent upstream: HTTP/1.1, hop-by-hop headers removed, `Host` present, `Expect` dropped
    /// (the body is streamed as it arrives, so a `100 Continue` round trip would only add latency).
    static func upstreamHead(from head: HTTPRequestHead, serverName: String, keepUpgrade: Bool) -> HTTPRequestHead {
        var headers = stripped(head.headers, keepUpgrade: keepUpgrade)
        headers.remove(name: "expect")
        if !headers.contains(name: "host") { headers.add(name: "host", value: serverName) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// The head sent to the client.
    static func clientHead(from head: HTTPResponseHead, version: HTTPVersion, keepUpgrade: Bool = false) -> HTTPResponseHead {
        HTTPResponseHead(version: version, status: head.status, headers: stripped(head.headers, keepUpgrade: keepUpgrade))
    }

    private static func stripped(_ headers: HTTPHeaders, keepUpgrade: Bool) -> HTTPHeaders {
        // Headers named in `Connection` are hop-by-hop too.
        let named = Set(headers[canonicalForm: "connection"].map { $0.lowercased() })
        var result = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if keepUpgrade, lower == "upgrade" || lower == "connection" {
                result.add(name: name, value: value)
                continue
            }
            if hopByHop.contains(lower) || named.contains(lower) { continue }
            result.add(name: name, value: value)
        }
        return result
    }
}
