#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Maps socket inodes to the process that holds them, by reading `/proc/*/fd`.
///
/// The kernel has no index from a socket to its process, so the first miss reads every
/// process's fd table and remembers every socket it saw. A later miss first reads only the
/// processes that appeared since the last `/proc` listing (a new `curl` is the common case),
/// then, if the socket is still not found, the older processes (a long-lived client opening a
/// new connection), newest pid first, until the time budget runs out. A hit is checked with one
/// `readlink` of the remembered `/proc/PID/fd/FD`, so a reused inode or a closed fd is noticed.
/// Entries are evicted least recently used first beyond ``capacity``.
///
/// Reading another uid's fd table needs root or `CAP_SYS_PTRACE`; tables that could not be read
/// are counted and named in the miss reason.
public actor InodeProcessCache {
    /// The holder of a socket: a process and the fd number it holds the socket under.
    struct Holder: Sendable, Equatable {
        var pid: Int32
        var fd: Int32
    }

    /// The result of ``holder(of:deadline:)``.
    enum Resolution: Sendable, Equatable {
        case found(Holder)
        /// Not found; the text says why, for `PeerAttribution.unknown`.
        case notFound(String)
    }

    private struct Entry {
        var holder: Holder
        var lastUse: UInt64
    }

    /// The most sockets remembered.
    public let capacity: Int
    /// How long one lookup may spend reading /proc.
    public let budget: Duration
    /// Whether this process's own fd table is read. The daemon's own table is its largest (one
    /// socket per proxied connection) and never holds a redirected client: it passes `false`.
    public let includesOwnProcess: Bool

    private var entries: [UInt64: Entry] = [:]
    private var clock: UInt64 = 0
    /// The pids seen, and fully read, in earlier scans.
    private var knownPIDs: Set<Int32> = []

    /// How many times a lookup listed /proc (cache misses); for tests and metrics.
    private(set) var scanCount = 0
    /// How many fd tables were read in total.
    private(set) var fdTablesRead = 0

    /// Makes an empty cache.
    /// - Parameters:
    ///   - capacity: The most sockets remembered before the least recently used are evicted.
    ///   - budget: How long one lookup may spend reading /proc before it gives up.
    ///   - includesOwnProcess: Whether this process's own sockets can be found; the daemon
    ///     passes `false` to skip its own, large, fd table.
    public init(capacity: Int = 65_536, budget: Duration = .milliseconds(50), includesOwnProcess: Bool = true) {
        self.capacity = max(capacity, 16)
        self.budget = budget
        self.includesOwnProcess = includesOwnProcess
    }

    /// The pid of the process holding the socket with this inode, or `nil` when none was found
    /// within the budget.
    public func pid(ofSocketInode inode: UInt64) -> Int32? {
        if case .found(let holder) = self.holder(of: inode) { return holder.pid }
        return nil
    }

    /// The number of sockets remembered.
    public var count: Int { self.entries.count }

    /// Finds the holder of a socket inode.
    /// - Parameters:
    ///   - inode: The socket's inode, from sock_diag.
    ///   - deadline: When to give up; defaults to now + ``budget``.
    func holder(of inode: UInt64, deadline: ContinuousClock.Instant? = nil) -> Resolution {
        let deadline = deadline ?? ContinuousClock.now.advanced(by: self.budget)
        if let entry = self.entries[inode] {
            if ProcFS.holds(pid: entry.holder.pid, fd: entry.holder.fd, inode: inode) {
                self.clock &+= 1
                self.entries[inode]?.lastUse = self.clock
                return .found(entry.holder)
            }
            self.entries[inode] = nil
        }
        return self.scan(for: inode, deadline: deadline)
    }

    /// Forgets a socket, e.g. when its connection closed.
    public func forget(inode: UInt64) {
        self.entries[inode] = nil
    }

    private func scan(for inode: UInt64, deadline: ContinuousClock.Instant) -> Resolution {
        self.scanCount += 1
        let pids: [Int32]
        switch ProcFS.processIDs() {
        case .success(let list): pids = self.includesOwnProcess ? list : list.filter { $0 != getpid() }
        case .failure(let error):
            return .notFound("pid: cannot list /proc: \(error); mount procfs in the daemon's namespace")
        }
        let current = Set(pids)
        let fresh = pids.filter { !self.knownPIDs.contains($0) }.sorted(by: >)
        let older = pids.filter { self.knownPIDs.contains($0) }.sorted(by: >)

        var found: Holder?
        var read = Set<Int32>()
        var denied = 0
        var timedOut = false
        for pid in fresh + older {
            if ContinuousClock.now >= deadline {
                timedOut = true
                break
            }
            self.fdTablesRead += 1
            let result = ProcFS.forEachSocket(of: pid) { fd, socketInode in
                self.remember(socketInode, Holder(pid: pid, fd: fd))
                if socketInode == inode, found == nil { found = Holder(pid: pid, fd: fd) }
            }
            if case .failure(let error) = result, error.isDenied { denied += 1 }
            read.insert(pid)
            if found != nil { break }
        }
        // Pids not read this time (stopped early) stay "new" for the next scan.
        self.knownPIDs = self.knownPIDs.intersection(current).union(read)
        self.evictIfNeeded()

        if let found {
            let holder = self.topmostHolder(from: found, of: inode)
            self.remember(inode, holder)
            return .found(holder)
        }
        var reason: String
        if timedOut {
            reason = "pid: gave up after \(self.budget) reading /proc (\(read.count) of \(pids.count) processes read)"
        } else {
            reason = "pid: socket inode not found in /proc (process exited?)"
        }
        if denied > 0 {
            reason += "; \(denied) processes' fd tables were unreadable (EACCES): run as root or grant CAP_SYS_PTRACE"
        }
        return .notFound(reason)
    }

    /// Climbs from a holder to its ancestors while they hold the same socket.
    ///
    /// A socket is held by every process its fd was inherited by, and a process between
    /// `fork` and `exec` briefly holds its parent's sockets even when they are close-on-exec.
    /// The fresh pids are read first, so the child would win; the process that made the
    /// connection is the topmost ancestor that still holds it.
    private func topmostHolder(from start: Holder, of inode: UInt64) -> Holder {
        var holder = start
        for _ in 0..<8 {
            guard let parent = ProcessInspector.stat(of: holder.pid)?.parent, parent > 1 else { break }
            var parentFD: Int32?
            self.fdTablesRead += 1
            _ = ProcFS.forEachSocket(of: parent) { fd, socketInode in
                if socketInode == inode { parentFD = fd }
            }
            guard let parentFD else { break }
            holder = Holder(pid: parent, fd: parentFD)
        }
        return holder
    }

    private func remember(_ inode: UInt64, _ holder: Holder) {
        self.clock &+= 1
        self.entries[inode] = Entry(holder: holder, lastUse: self.clock)
    }

    /// Drops the least recently used tenth when over capacity, so eviction is amortised.
    private func evictIfNeeded() {
        guard self.entries.count > self.capacity else { return }
        let keep = self.capacity - self.capacity / 10
        let oldest = self.entries.sorted { $0.value.lastUse < $1.value.lastUse }
        for (inode, _) in oldest.prefix(self.entries.count - keep) {
            self.entries[inode] = nil
        }
    }
}
