internal import NIOCore

/// Waits until the receiver's TCP stack has acknowledged every byte written on a channel.
///
/// A completed write only means the bytes reached the local kernel. On Linux, `TCP_INFO` tells how
/// many segments are unacknowledged and how many bytes are not yet sent; when both are zero the
/// receiver's kernel holds the data. Elsewhere this returns at once.
enum TCPAcknowledgement {
    /// The kernel's `struct tcp_info` (linux/tcp.h) as raw bytes; Glibc's copy stops before
    /// `tcpi_notsent_bytes`.
    private struct RawTCPInfo: @unchecked Sendable {
        // A plain tuple of integers, copied by value: no references to share.
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        func uint32(at offset: Int) -> UInt32 {
            withUnsafeBytes(of: words) { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        }
        /// `tcpi_unacked`: segments sent and not acknowledged.
        var unacknowledgedSegments: UInt32 { uint32(at: 24) }
        /// `tcpi_notsent_bytes`: bytes queued and not yet sent (Linux 4.6+).
        var unsentBytes: UInt32 { uint32(at: 144) }
    }

    /// Returns once nothing is in flight, polling every few milliseconds.
    ///
    /// - Throws: `ChannelError` when the channel closed with data in flight; `timedOut` when
    ///   `timeout` passed first.
    static func wait(for channel: any Channel, timeout: Duration) async throws {
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else { return }
            let deadline = ContinuousClock.now + timeout
            var pause = Duration.microseconds(200)
            while true {
                let info: RawTCPInfo = try await provider.unsafeGetSocketOption(level: .tcp, name: .tcp_info).get()
                if info.unacknowledgedSegments == 0, info.unsentBytes == 0 { return }
                guard ContinuousClock.now < deadline else { throw TimedOut() }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(20))
            }
        #endif
    }

    /// The receiver did not acknowledge in time.
    struct TimedOut: Error {}
}
