import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CLI's side of the control socket: one request, one response, blocking sockets.
public enum ControlClient {
    /// Sends `request` to the daemon and returns its response.
    /// - Parameters:
    ///   - request: The request.
    ///   - socketPath: The daemon's control socket.
    ///   - timeout: The bound on each send and receive, in seconds.
    /// - Throws: `ControlSocketError` when the daemon cannot be reached or answers with
    ///   something that is not a response line. A refusal (`ok: false`) is a response, not an error.
    public static func send(
        _ request: ControlRequest,
        socketPath: String = "/run/chaperone/control.sock",
        timeout: Int = 30
    ) throws -> ControlResponse {
        var payload = try ControlCoding.encode(request)
        payload.append(UInt8(ascii: "\n"))
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw ControlSocketError("cannot create a Unix socket: \(errnoName(errno))")
        }
        defer { close(descriptor) }
        var interval = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            throw ControlSocketError("control socket path \(socketPath) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            let hint =
                code == ENOENT || code == ECONNREFUSED
                ? "is the daemon running? (systemctl status chaperone)" : "check the path and its permissions"
            throw ControlSocketError("cannot connect to \(socketPath): \(errnoName(code)); \(hint)")
        }

        try payload.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ControlSocketError("cannot send to \(socketPath): \(errnoName(errno))")
                }
                offset += written
            }
        }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                let hint = code == EAGAIN ? "the daemon did not answer within \(timeout) s" : "the daemon closed the connection"
                throw ControlSocketError("cannot read from \(socketPath): \(errnoName(code)); \(hint)")
            }
            if count == 0 { break }
            received += buffer[0..<count]
            if received.count > 1 << 20 {
                throw ControlSocketError("the daemon's answer is over 1 MiB; is \(socketPath) Chaperone's control socket?")
            }
        }
        let line = received.split(separator: UInt8(ascii: "\n"), maxSplits: 1).first ?? []
        do {
            return try ControlCoding.decode(ControlResponse.self, from: Data(line))
        } catch {
            throw ControlSocketError("the daemon's answer is not a control response (\(error)); is \(socketPath) Chaperone's control socket?")
        }
    }
}
