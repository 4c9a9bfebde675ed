import Testing

@testable import Identity

@Suite("cgroup parsing: containers, units, CI jobs")
struct CgroupInfoTests {
    static let hex = "4b2f1c7e9a8d6f5e3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"

    @Test("docker, systemd driver")
    func dockerSystemd() {
        let info = CgroupInfo(parsing: "0::/system.slice/docker-\(Self.hex).scope\n")
        #expect(info.path == "/system.slice/docker-\(Self.hex).scope")
        #expect(info.container == ContainerID(runtime: "docker", id: Self.hex))
        #expect(info.systemdUnit == "docker-\(Self.hex).scope")
    }

    @Test("docker, cgroupfs driver, on a v1 host")
    func dockerCgroupfsV1() {
        let text = """
            12:memory:/docker/\(Self.hex)
            1:name=systemd:/docker/\(Self.hex)
            0::/
            """
        let info = CgroupInfo(parsing: text)
        #expect(info.path == "/docker/\(Self.hex)")
        #expect(info.container == ContainerID(runtime: "docker", id: Self.hex))
        #expect(info.systemdUnit == nil)
    }

    @Test("containerd under Kubernetes (systemd driver)")
    func kubernetesContainerd() {
        let path =
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b8f2a41_5c1e_4f7a_9d3e_2a6b7c8d9e0f.slice/cri-containerd-\(Self.hex).scope"
        let info = CgroupInfo(parsing: "0::\(path)\n")
        #expect(info.container == ContainerID(runtime: "containerd", id: Self.hex))
        #expect(info.systemdUnit == "cri-containerd-\(Self.hex).scope")
    }

    @Test("Kubernetes, cgroupfs driver: runtime not named")
    func kubernetesCgroupfs() {
        let info = CgroupInfo(parsing: "0::/kubepods/besteffort/pod0b8f2a41-5c1e-4f7a-9d3e-2a6b7c8d9e0f/\(Self.hex)\n")
        #expect(info.container == ContainerID(runtime: "kubepods", id: Self.hex))
    }

    @Test("CRI-O")
    func crio() {
        let info = CgroupInfo(parsing: "0::/kubepods.slice/kubepods-pod1.slice/crio-\(Self.hex).scope\n")
        #expect(info.container == ContainerID(runtime: "cri-o", id: Self.hex))
    }

    @Test("podman, rootless, and its conmon is not the container")
    func podman() {
        let rootless =
            "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(Self.hex).scope/container\n"
        let info = CgroupInfo(parsing: rootless)
        #expect(info.container == ContainerID(runtime: "podman", id: Self.hex))
        #expect(info.systemdUnit == "libpod-\(Self.hex).scope")
        let conmon = CgroupInfo(parsing: "0::/machine.slice/libpod-conmon-\(Self.hex).scope\n")
        #expect(conmon.container == nil)
        let cgroupfs = CgroupInfo(parsing: "0::/libpod_parent/libpod-\(Self.hex)\n")
        #expect(cgroupfs.container == ContainerID(runtime: "podman", id: Self.hex))
    }

    @Test("systemd service")
    func systemdService() {
        let info = CgroupInfo(parsing: "0::/system.slice/nginx.service\n")
        #expect(info.systemdUnit == "nginx.service")
        #expect(info.container == nil)
        #expect(CIJobDetector.detect(cgroup: info, ancestors: []) == nil)
    }

    @Test("GitHub Actions self-hosted runner unit")
    func githubRunnerUnit() {
        let unit = "actions.runner.acme-web.ci-runner-01.service"
        let info = CgroupInfo(parsing: "0::/system.slice/\(unit)\n")
        #expect(info.systemdUnit == unit)
        let job = CIJobDetector.detect(cgroup: info, ancestors: [])
        #expect(job == CIJob(system: "github-actions", details: ["unit": unit]))
    }

    @Test("GitHub Actions by the Runner.Worker ancestor; GitLab by gitlab-runner")
    func ciByAncestors() {
        let session = CgroupInfo(parsing: "0::/user.slice/user-1001.slice/session-4.scope\n")
        let github = CIJobDetector.detect(
            cgroup: session,
            ancestors: [
                .init(pid: 900, name: "bash"), .init(pid: 812, name: "Runner.Worker"), .init(pid: 1, name: "systemd"),
            ]
        )
        #expect(github == CIJob(system: "github-actions", details: ["parent": "Runner.Worker", "parentPid": "812"]))
        let gitlab = CIJobDetector.detect(
            cgroup: CgroupInfo(parsing: "0::/system.slice/gitlab-runner.service\n"),
            ancestors: [.init(pid: 77, name: "gitlab-runner")]
        )
        #expect(
            gitlab
                == CIJob(
                    system: "gitlab",
                    details: ["parent": "gitlab-runner", "parentPid": "77", "unit": "gitlab-runner.service"]
                )
        )
        let jobContainer = CgroupInfo(parsing: "0::/actions_job/\(Self.hex)\n")
        #expect(jobContainer.container == ContainerID(runtime: "docker", id: Self.hex))
        #expect(CIJobDetector.detect(cgroup: jobContainer, ancestors: [])?.system == "github-actions")
    }

    @Test("plain user session")
    func userSession() {
        let info = CgroupInfo(parsing: "0::/user.slice/user-1000.slice/session-3.scope\n")
        #expect(info.path == "/user.slice/user-1000.slice/session-3.scope")
        #expect(info.systemdUnit == "session-3.scope")
        #expect(info.container == nil)
        #expect(CIJobDetector.detect(cgroup: info, ancestors: [.init(pid: 1, name: "systemd")]) == nil)
    }

    @Test("hybrid host: v2 says / and name=systemd names the unit; empty text")
    func hybridAndEmpty() {
        let info = CgroupInfo(parsing: "1:name=systemd:/system.slice/cron.service\n0::/\n")
        #expect(info.path == "/system.slice/cron.service")
        #expect(info.systemdUnit == "cron.service")
        let root = CgroupInfo(parsing: "0::/\n")
        #expect(root.path == "/")
        #expect(root.systemdUnit == nil)
        #expect(CgroupInfo(parsing: "").path == nil)
    }

    @Test("command line: NULs to spaces, bounded at a character boundary")
    func commandLine() {
        let bytes = Array("curl\0-s\0https://example.test\0".utf8)
        #expect(ProcessInspector.commandLine(from: bytes) == "curl -s https://example.test")
        #expect(ProcessInspector.commandLine(from: [0]) == nil)
        // 1023 ASCII bytes then a 2-byte character cut by the 1024-byte read.
        let cut = Array(repeating: UInt8(ascii: "a"), count: 1023) + [0xC3]
        let text = ProcessInspector.commandLine(from: cut)
        #expect(text?.utf8.count == 1023)
        #expect(text?.contains("\u{FFFD}") == false)
    }

    @Test("stat parsing survives parentheses and spaces in comm")
    func stat() {
        let parsed = ProcessInspector.parseStat(
            Array("4242 (my (odd) prog) S 812 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10".utf8)
        )
        #expect(parsed?.name == "my (odd) prog")
        #expect(parsed?.parent == 812)
        #expect(parsed?.startTime == 98765)
    }
}
