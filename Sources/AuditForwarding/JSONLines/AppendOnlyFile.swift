#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An `O_APPEND` file descriptor that follows its path: when the file was renamed or deleted
/// (rotated away by logrotate or the shipper), the next write opens a new file at the path.
///
/// Blocking: use it from a thread pool. Not thread-safe; the owner serialises access.
struct AppendOnlyFile: ~Copyable {
    let path: String
    private var descriptor: Int32 = -1
    private var device: UInt64 = 0
    private var inode: UInt64 = 0

    init(path: String) {
        self.path = path
    }

    deinit {
        if descriptor >= 0 { _ = closeFileDescriptor(descriptor) }
    }

    /// Appends `bytes` and waits for them to reach the disk.
    mutating func appendAndSync(_ bytes: [UInt8]) throws(Failure) {
        try reopenIfRotated()
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let failure = Failure(operation: "write", errno: errno)
                closeDescriptor()
                throw failure
            }
            written += result
        }
        while fsync(descriptor) != 0 {
            if errno == EINTR { continue }
            let failure = Failure(operation: "fsync", errno: errno)
            closeDescriptor()
            throw failure
        }
    }

    /// Closes the descriptor; the next append reopens the path.
    mutating func closeDescriptor() {
        if descriptor >= 0 { _ = closeFileDescriptor(descriptor) }
        descriptor = -1
    }

    private mutating func reopenIfRotated() throws(Failure) {
        if descriptor >= 0 {
            var current = stat()
            if stat(path, &current) == 0, UInt64(current.st_dev) == device, UInt64(current.st_ino) == inode { return }
            closeDescriptor()
        }
        var fd: Int32
        repeat {
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw Failure(operation: "open", errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let failure = Failure(operation: "fstat", errno: errno)
            _ = closeFileDescriptor(fd)
            throw failure
        }
        // A file created now gets 0640 whatever the umask; an existing one keeps its mode.
        if info.st_size == 0, info.st_mode & 0o777 != 0o640 { _ = fchmod(fd, 0o640) }
        descriptor = fd
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// A failed system call.
    struct Failure: Error {
        var operation: String
        var errno: Int32
        var reason: String { String(cString: strerror(errno)) }
    }
}

private func closeFileDescriptor(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.close(fd)
    #else
        Darwin.close(fd)
    #endif
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
    #else
        Darwin.write(fd, buffer, count)
    #endif
}
