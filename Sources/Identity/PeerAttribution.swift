/// Who opened a connection: the owning uid and socket, and the process holding it.
public struct PeerAttribution: Sendable, Equatable, Codable {
    /// The socket's owner (`sk_uid`), from sock_diag.
    public var uid: UInt32?
    /// The user name of ``uid`` from the password database (NSS).
    public var userName: String?
    /// The socket's inode, as in `/proc/PID/fd/N -> socket:[INODE]`.
    public var inode: UInt64?
    /// The process holding the socket.
    public var process: PeerProcess?
    /// The fields that could not be determined, each as `"field: why"`, for example
    /// `"pid: socket inode not found in /proc (process exited?)"`.
    public var unknown: [String]

    public init(
        uid: UInt32? = nil,
        userName: String? = nil,
        inode: UInt64? = nil,
        process: PeerProcess? = nil,
        unknown: [String] = []
    ) {
        self.uid = uid
        self.userName = userName
        self.inode = inode
        self.process = process
        self.unknown = unknown
    }
}

/// The process that holds a socket.
public struct PeerProcess: Sendable, Equatable, Codable {
    public var pid: Int32?
    /// `readlink /proc/PID/exe`; needs the same uid or `CAP_SYS_PTRACE`.
    public var executable: String?
    /// `/proc/PID/cmdline` with NULs turned to spaces, at most 1024 bytes. It can hold
    /// secrets (`curl -H "Authorization: ..."`): mask it before it is logged or audited.
    public var commandLine: String?
    /// The cgroup v2 path (`0::` line of `/proc/PID/cgroup`), or the `name=systemd` v1 path.
    public var cgroup: String?
    public var container: ContainerID?
    /// The innermost systemd `.service` or `.scope` unit of ``cgroup``.
    public var systemdUnit: String?
    public var ciJob: CIJob?

    public init(
        pid: Int32? = nil,
        executable: String? = nil,
        commandLine: String? = nil,
        cgroup: String? = nil,
        container: ContainerID? = nil,
        systemdUnit: String? = nil,
        ciJob: CIJob? = nil
    ) {
        self.pid = pid
        self.executable = executable
        self.commandLine = commandLine
        self.cgroup = cgroup
        self.container = container
        self.systemdUnit = systemdUnit
        self.ciJob = ciJob
    }
}

/// A container, recognised from its cgroup path.
public struct ContainerID: Sendable, Equatable, Codable {
    /// `docker`, `containerd`, `cri-o`, `podman`, or `kubepods` (a pod whose runtime the
    /// path does not name).
    public var runtime: String
    /// The container id (usually 64 hex digits).
    public var id: String

    public init(runtime: String, id: String) {
        self.runtime = runtime
        self.id = id
    }
}

/// A CI job that the process belongs to.
public struct CIJob: Sendable, Equatable, Codable {
    /// `github-actions` or `gitlab`.
    public var system: String
    /// What was seen, e.g. `["unit": "actions.runner.acme-web.r1.service"]` or
    /// `["parent": "Runner.Worker", "parentPid": "812"]`.
    public var details: [String: String]

    public init(system: String, details: [String: String]) {
        self.system = system
        self.details = details
    }
}
