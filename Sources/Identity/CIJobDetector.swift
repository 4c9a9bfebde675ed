/// Recognises a CI job from cheap signals: the systemd unit the runner service runs in, and
/// the names (`comm`) of the process's ancestors. A job's environment (`GITHUB_RUN_ID`,
/// `CI_JOB_ID`) is not read: `/proc/PID/environ` costs a full read per connection and needs
/// the same uid or `CAP_SYS_PTRACE`.
enum CIJobDetector {
    /// An ancestor of the process: pid and the kernel's 15-byte `comm`.
    struct Ancestor: Sendable, Equatable {
        var pid: Int32
        var name: String
    }

    /// Detects the CI system, preferring the ancestor chain (it names the job's worker).
    /// - Parameters:
    ///   - cgroup: The parsed cgroup of the process.
    ///   - ancestors: Parent first, up to init.
    static func detect(cgroup: CgroupInfo, ancestors: [Ancestor]) -> CIJob? {
        let unit = cgroup.path.flatMap(Self.unitNamed)
        for ancestor in ancestors {
            switch ancestor.name {
            case "Runner.Worker", "Runner.Listener":
                var details = ["parent": ancestor.name, "parentPid": String(ancestor.pid)]
                if let unit { details["unit"] = unit }
                return CIJob(system: "github-actions", details: details)
            case "gitlab-runner":
                var details = ["parent": ancestor.name, "parentPid": String(ancestor.pid)]
                if let unit { details["unit"] = unit }
                return CIJob(system: "gitlab", details: details)
            default:
                continue
            }
        }
        if let unit {
            if unit.hasPrefix("actions.runner.") {
                return CIJob(system: "github-actions", details: ["unit": unit])
            }
            if unit.hasPrefix("gitlab-runner") {
                return CIJob(system: "gitlab", details: ["unit": unit])
            }
        }
        if let path = cgroup.path, path.split(separator: "/").first == "actions_job" {
            return CIJob(system: "github-actions", details: ["cgroup": path])
        }
        return nil
    }

    /// The runner's service unit anywhere on the path (a job may run in a nested scope).
    private static func unitNamed(in path: String) -> String? {
        path.split(separator: "/").first {
            $0.hasSuffix(".service") && ($0.hasPrefix("actions.runner.") || $0.hasPrefix("gitlab-runner"))
        }.map(String.init)
    }
}
