public import Logging

/// Attributes a redirected TCP connection to the local user and process that opened it.
///
/// sock_diag gives the client socket's owner uid and inode; ``InodeProcessCache`` finds the
/// process holding that inode; /proc then gives its executable, command line and cgroup, from
/// which the container, systemd unit and CI job are read. Nothing throws: what cannot be
/// determined is left `nil` and explained in ``PeerAttribution/unknown``. The whole call is
/// bounded by ``budget`` (the /proc scan is the only part that can take long).
///
/// Runs blocking system calls (netlink, /proc reads) of a few microseconds each on the
/// caller's task; call it off the event loop.
public struct PeerAttributor: Sendable {
    public let sockDiag: SockDiag
    public let cache: InodeProcessCache
    /// The most time one ``attribute(_:)`` may spend.
    public let budget: Duration
    private let logger: Logger
    private let userNames = UserNames()
    private let ancestry = AncestryCache()

    /// Makes an attributor.
    /// - Parameters:
    ///   - sockDiag: The netlink socket; open it in the network namespace of the clients.
    ///   - cache: The inode → pid cache, shared by all connections.
    ///   - budget: The most time one attribution may spend.
    ///   - logger: The caller's logger; attributions log at `debug`.
    public init(
        sockDiag: SockDiag,
        cache: InodeProcessCache = InodeProcessCache(),
        budget: Duration = .milliseconds(50),
        logger: Logger
    ) {
        self.sockDiag = sockDiag
        self.cache = cache
        self.budget = budget
        self.logger = logger
    }

    /// Opens its own ``SockDiag``.
    /// - Throws: `IdentityError` when the NETLINK_SOCK_DIAG socket cannot be opened.
    public init(budget: Duration = .milliseconds(50), logger: Logger) throws(IdentityError) {
        self.init(sockDiag: try SockDiag(), budget: budget, logger: logger)
    }

    /// Who opened the connection with this tuple.
    ///
    /// - Parameter tuple: The CLIENT socket's tuple: the client's address and port as
    ///   `source`, the original destination (`SO_ORIGINAL_DST`) as `destination`.
    /// - Returns: What could be found; ``PeerAttribution/unknown`` names the rest and why.
    public func attribute(_ tuple: SocketTuple) async -> PeerAttribution {
        let deadline = ContinuousClock.now.advanced(by: self.budget)
        let found: (uid: UInt32, inode: UInt64)?
        do {
            found = try self.sockDiag.lookup(tuple)
        } catch {
            self.logger.warning("sock_diag lookup failed", metadata: ["tuple": "\(tuple)", "error": "\(error)"])
            return PeerAttribution(unknown: [
                "uid: sock_diag lookup failed: \(error.message)",
                "inode: sock_diag lookup failed",
                "process: no socket inode to look up",
            ])
        }
        guard let found else {
            self.logger.debug("no local socket for tuple", metadata: ["tuple": "\(tuple)"])
            return PeerAttribution(unknown: [
                "uid: no local TCP socket with this 4-tuple (connection closed, or the client is not on this host or network namespace)",
                "inode: no socket",
                "process: no socket",
            ])
        }
        let attribution = await self.attribute(uid: found.uid, inode: found.inode, deadline: deadline)
        self.logger.debug(
            "attributed connection",
            metadata: [
                "tuple": "\(tuple)", "peer.uid": "\(found.uid)",
                "peer.pid": "\(attribution.process?.pid.map(String.init) ?? "-")",
                "peer.unknown": "\(attribution.unknown.count)",
            ]
        )
        return attribution
    }

    /// The part after sock_diag: uid and inode → user name, process.
    func attribute(uid: UInt32, inode: UInt64, deadline: ContinuousClock.Instant) async -> PeerAttribution {
        var attribution = PeerAttribution(uid: uid, userName: self.userNames.name(of: uid))
        if attribution.userName == nil {
            attribution.unknown.append("userName: uid \(uid) is not in the password database")
        }
        guard inode != 0 else {
            attribution.unknown += [
                "inode: the socket has no owner any more (closed, or its process exited; the kernel keeps it until TCP finishes)",
                "process: no socket inode to look up",
            ]
            return attribution
        }
        attribution.inode = inode

        // Twice at most: a holder that let go of the socket while we read it may have been a
        // child between fork and exec, and the real holder is found by a second look.
        for attempt in 1...2 {
            switch await self.cache.holder(of: inode, deadline: deadline) {
            case .notFound(let reason):
                attribution.unknown.append(reason)
                return attribution
            case .found(let holder):
                let (process, unknown) = ProcessInspector.describe(pid: holder.pid, ancestry: self.ancestry)
                // The process may have exited, and its pid been reused, while we read: only
                // keep what we read if it still holds the socket.
                if ProcFS.holds(pid: holder.pid, fd: holder.fd, inode: inode) {
                    attribution.process = process
                    attribution.unknown += unknown
                    return attribution
                }
                await self.cache.forget(inode: inode)
                if attempt == 2 || ContinuousClock.now >= deadline {
                    attribution.unknown.append(
                        "process: pid \(holder.pid) no longer holds the socket (it closed it or exited while it was being read)"
                    )
                    return attribution
                }
            }
        }
        return attribution
    }
}
