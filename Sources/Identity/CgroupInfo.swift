/// What a process's `/proc/PID/cgroup` says: its cgroup path, container and systemd unit.
///
/// Pure parsing, tested on fixture strings. Recognises the cgroup layouts of the systemd and
/// cgroupfs drivers:
/// - docker: `…/docker-<id>.scope`, `/docker/<id>`
/// - containerd under Kubernetes: `…/cri-containerd-<id>.scope`; CRI-O: `…/crio-<id>.scope`
/// - podman: `…/libpod-<id>.scope`, `/libpod_parent/libpod-<id>`
/// - Kubernetes with the cgroupfs driver: `/kubepods/<qos>/pod<uid>/<id>` (runtime `kubepods`)
/// - GitHub Actions job containers: `/actions_job/<id>` (docker, cgroup parent `actions_job`)
struct CgroupInfo: Sendable, Equatable {
    /// The cgroup v2 path, or the v1 `name=systemd` path when v2 says only `/` (hybrid hosts).
    var path: String?
    var container: ContainerID?
    /// The innermost `.service` or `.scope` of ``path``.
    var systemdUnit: String?

    /// Parses the text of `/proc/PID/cgroup`.
    init(parsing text: String) {
        var unified: String?
        var systemd: String?
        var all: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            // hierarchy-ID:controller-list:cgroup-path; the path may itself contain ':'.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            all.append(path)
            if fields[0] == "0", fields[1].isEmpty {
                unified = path
            } else if fields[1] == "name=systemd" {
                systemd = path
            }
        }
        if let unified, unified != "/" {
            self.path = unified
        } else if let systemd, systemd != "/" {
            self.path = systemd
        } else {
            self.path = unified ?? systemd ?? all.first
        }
        // A v1 controller (e.g. memory:/docker/<id>) may name the container when v2 does not.
        let candidates = [self.path].compactMap { $0 } + all
        self.container = candidates.lazy.compactMap(Self.container(in:)).first
        self.systemdUnit = self.path.flatMap(Self.systemdUnit(in:))
    }

    /// The container named by one cgroup path, if any.
    static func container(in path: String) -> ContainerID? {
        let parts = path.split(separator: "/").map(String.init)
        for (index, part) in parts.enumerated().reversed() {
            for (prefix, runtime) in scopePrefixes {
                if let id = Self.id(in: part, prefix: prefix, suffix: ".scope") {
                    return ContainerID(runtime: runtime, id: id)
                }
            }
            guard index > 0 else { continue }
            let parent = parts[index - 1]
            if parent == "docker" || parent == "actions_job", isContainerID(part) {
                return ContainerID(runtime: "docker", id: part)
            }
            if parent == "libpod_parent", let id = Self.id(in: part, prefix: "libpod-", suffix: "") {
                return ContainerID(runtime: "podman", id: id)
            }
        }
        // cgroupfs driver: /kubepods[/qos]/pod<uid>/<id> names no runtime.
        if parts.first == "kubepods" || parts.first == "kubepods.slice",
            let last = parts.last, isContainerID(last)
        {
            return ContainerID(runtime: "kubepods", id: last)
        }
        return nil
    }

    /// The innermost systemd unit (`.service` or `.scope`) of a cgroup path.
    static func systemdUnit(in path: String) -> String? {
        path.split(separator: "/").last { $0.hasSuffix(".service") || $0.hasSuffix(".scope") }.map(String.init)
    }

    private static let scopePrefixes: [(String, String)] = [
        ("docker-", "docker"),
        ("cri-containerd-", "containerd"),
        ("crio-", "cri-o"),
        ("libpod-", "podman"),
    ]

    private static func id(in part: String, prefix: String, suffix: String) -> String? {
        guard part.hasPrefix(prefix), part.hasSuffix(suffix) else { return nil }
        let id = String(part.dropFirst(prefix.count).dropLast(suffix.count))
        return isContainerID(id) ? id : nil
    }

    /// 12 to 64 lowercase hex digits: the ids docker, containerd, CRI-O and podman use
    /// (`libpod-conmon-<id>.scope` and `crio-conmon-<id>.scope` are the monitors, not the container).
    static func isContainerID(_ text: String) -> Bool {
        (12...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
