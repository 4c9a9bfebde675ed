import Identity

/// The process part of a record: enough for an auditor to tell who ran what, nothing that may
/// carry a secret (the command line is left out: `curl -H "Authorization: …"` would put a key in
/// the record).
struct ProcessSummary: Encodable, Sendable, Equatable {
    var pid: Int32?
    var executable: String?
    var cgroup: String?
    var container: String?
    var systemdUnit: String?
    var ciJob: String?

    init(_ process: PeerProcess) {
        pid = process.pid
        executable = process.executable
        cgroup = process.cgroup
        container = process.container.map { "\($0.runtime):\($0.id)" }
        systemdUnit = process.systemdUnit
        ciJob = process.ciJob.map(\.system)
    }

    enum CodingKeys: String, CodingKey {
        case pid, executable, cgroup, container
        case systemdUnit = "systemd_unit"
        case ciJob = "ci_job"
    }
}
