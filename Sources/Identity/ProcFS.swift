#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Minimal, allocation-light readers of /proc. Every call reports errno instead of throwing:
/// a process may exit at any moment and callers turn that into `unknown` entries.
enum ProcFS {
    /// Reads at most `limit` bytes of a file.
    static func read(_ path: String, limit: Int) -> Result<[UInt8], ProcError> {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 { return .failure(ProcError(errno)) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var filled = 0
        while filled < limit {
            let count = bytes.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + filled, limit - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ProcError(errno))
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return .success(bytes)
    }

    /// `readlink(2)` of a path.
    static func readLink(_ path: String) -> Result<String, ProcError> {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4096) { buffer in
            let count = path.withCString { readlink($0, buffer.baseAddress!, buffer.count) }
            if count < 0 { return .failure(ProcError(errno)) }
            let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress!, count: count)
            return .success(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// The pids of all processes (thread-group leaders) in /proc.
    static func processIDs() -> Result<[Int32], ProcError> {
        guard let directory = opendir("/proc") else { return .failure(ProcError(errno)) }
        defer { closedir(directory) }
        var pids: [Int32] = []
        pids.reserveCapacity(512)
        while let entry = readdir(directory) {
            if let pid = withUnsafeBytes(of: entry.pointee.d_name, { parseDecimal($0) }) {
                pids.append(Int32(truncatingIfNeeded: pid))
            }
        }
        return .success(pids)
    }

    /// Calls `body(fd, inode)` for each socket in the fd table of `pid`.
    static func forEachSocket(
        of pid: Int32,
        _ body: (_ fd: Int32, _ inode: UInt64) -> Void
    ) -> Result<Void, ProcError> {
        guard let directory = opendir("/proc/\(pid)/fd") else { return .failure(ProcError(errno)) }
        defer { closedir(directory) }
        let directoryFD = dirfd(directory)
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { link in
            while let entry = readdir(directory) {
                withUnsafeBytes(of: entry.pointee.d_name) { name in
                    guard let fd = parseDecimal(name) else { return }
                    let count = readlinkat(
                        directoryFD,
                        name.baseAddress!.assumingMemoryBound(to: CChar.self),
                        link.baseAddress!,
                        link.count
                    )
                    guard count > 0 else { return }
                    if let inode = parseSocketLink(UnsafeRawBufferPointer(start: link.baseAddress!, count: count)) {
                        body(Int32(truncatingIfNeeded: fd), inode)
                    }
                }
            }
        }
        return .success(())
    }

    /// Whether `/proc/PID/fd/FD` is `socket:[INODE]` right now.
    static func holds(pid: Int32, fd: Int32, inode: UInt64) -> Bool {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { link in
            let count = "/proc/\(pid)/fd/\(fd)".withCString { readlink($0, link.baseAddress!, link.count) }
            guard count > 0 else { return false }
            return parseSocketLink(UnsafeRawBufferPointer(start: link.baseAddress!, count: count)) == inode
        }
    }

    /// Parses a NUL-terminated (or full) run of ASCII digits; `nil` for anything else.
    static func parseDecimal(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for byte in bytes {
            if byte == 0 { break }
            guard byte >= 0x30, byte <= 0x39, digits < 19 else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// Parses `socket:[12345]` to 12345.
    static func parseSocketLink(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        let prefix: StaticString = "socket:["
        let prefixCount = prefix.utf8CodeUnitCount
        guard bytes.count > prefixCount + 1, bytes[bytes.count - 1] == UInt8(ascii: "]") else { return nil }
        for index in 0..<prefixCount where bytes[index] != prefix.utf8Start[index] {
            return nil
        }
        return parseDecimal(UnsafeRawBufferPointer(rebasing: bytes[prefixCount..<(bytes.count - 1)]))
    }
}

/// An errno from a /proc read.
struct ProcError: Error, Equatable, Sendable, CustomStringConvertible {
    let code: Int32

    init(_ code: Int32) {
        self.code = code
    }

    /// The process is gone (its /proc directory vanished).
    var isGone: Bool { self.code == ENOENT || self.code == ESRCH }
    /// The caller may not look (another uid without `CAP_SYS_PTRACE`, or hidepid).
    var isDenied: Bool { self.code == EACCES || self.code == EPERM }

    var description: String { errnoName(self.code) }
}
