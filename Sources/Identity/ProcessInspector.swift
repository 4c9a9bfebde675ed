/// Reads what /proc says about one process: executable, command line, cgroup, ancestors.
enum ProcessInspector {
    /// The most bytes of `/proc/PID/cmdline` kept.
    static let commandLineLimit = 1024
    /// The most ancestors walked for CI detection.
    static let ancestorLimit = 32

    /// Describes `pid`. Each field that cannot be read is `nil` and named in the returned
    /// `unknown` list with the reason.
    /// - Parameters:
    ///   - pid: The process.
    ///   - ancestry: Remembers parent chains, so a process's many connections walk it once.
    static func describe(pid: Int32, ancestry: AncestryCache? = nil) -> (process: PeerProcess, unknown: [String]) {
        var process = PeerProcess(pid: pid)
        var unknown: [String] = []

        switch ProcFS.readLink("/proc/\(pid)/exe") {
        case .success(let path):
            process.executable = path
        case .failure(let error):
            unknown.append("executable: " + Self.explain(error, pid: pid, file: "exe"))
        }

        switch ProcFS.read("/proc/\(pid)/cmdline", limit: Self.commandLineLimit) {
        case .success(let bytes):
            if let text = Self.commandLine(from: bytes) {
                process.commandLine = text
            } else {
                unknown.append("commandLine: empty (kernel thread, or a process that is exiting)")
            }
        case .failure(let error):
            unknown.append("commandLine: " + Self.explain(error, pid: pid, file: "cmdline"))
        }

        var cgroup = CgroupInfo(parsing: "")
        switch ProcFS.read("/proc/\(pid)/cgroup", limit: 16 * 1024) {
        case .success(let bytes):
            cgroup = CgroupInfo(parsing: String(decoding: bytes, as: UTF8.self))
            process.cgroup = cgroup.path
            process.container = cgroup.container
            process.systemdUnit = cgroup.systemdUnit
            if cgroup.path == nil { unknown.append("cgroup: /proc/\(pid)/cgroup is empty") }
        case .failure(let error):
            unknown.append("cgroup: " + Self.explain(error, pid: pid, file: "cgroup"))
        }

        let ancestors: [CIJobDetector.Ancestor]
        if let ancestry, let own = Self.stat(of: pid) {
            ancestors = ancestry.chain(pid: pid, startTime: own.startTime) { Self.ancestors(from: own.parent) }
        } else {
            ancestors = Self.ancestors(of: pid)
        }
        process.ciJob = CIJobDetector.detect(cgroup: cgroup, ancestors: ancestors)
        return (process, unknown)
    }

    /// `/proc/PID/cmdline` with NULs as spaces, bounded, cut at a character boundary.
    static func commandLine(from bytes: [UInt8]) -> String? {
        var bytes = bytes
        while bytes.last == 0 { bytes.removeLast() }
        guard !bytes.isEmpty else { return nil }
        for index in bytes.indices where bytes[index] == 0 { bytes[index] = 0x20 }
        if bytes.count >= Self.commandLineLimit {
            // Do not end inside a UTF-8 sequence: drop trailing continuation bytes and their lead.
            var end = min(bytes.count, Self.commandLineLimit)
            var back = end - 1
            while back > 0, bytes[back] & 0xC0 == 0x80 { back -= 1 }
            let lead = bytes[back]
            let expected = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            if end - back < expected { end = back }
            bytes.removeSubrange(end...)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The parent chain of `pid` (parent first), from `/proc/PID/stat`, which everyone may read.
    static func ancestors(of pid: Int32) -> [CIJobDetector.Ancestor] {
        Self.stat(of: pid).map { Self.ancestors(from: $0.parent) } ?? []
    }

    /// The chain starting at `parent`, parent first.
    static func ancestors(from parent: Int32) -> [CIJobDetector.Ancestor] {
        var chain: [CIJobDetector.Ancestor] = []
        var current: Int32? = parent
        while let parent = current, parent > 0, chain.count < Self.ancestorLimit {
            guard let stat = Self.stat(of: parent) else { break }
            chain.append(.init(pid: parent, name: stat.name))
            current = parent == 1 ? nil : stat.parent
        }
        return chain
    }

    /// `comm`, the parent pid and the start time of a process, parsed from `/proc/PID/stat`.
    static func stat(of pid: Int32) -> (name: String, parent: Int32, startTime: UInt64)? {
        // The leader thread's own stat: the same comm, parent and start time as the process's,
        // without the kernel summing every thread's counters (4x cheaper for a busy process).
        guard case .success(let bytes) = ProcFS.read("/proc/\(pid)/task/\(pid)/stat", limit: 512) else { return nil }
        return Self.parseStat(bytes)
    }

    /// Parses `PID (COMM) STATE PPID … STARTTIME …` (field 22, in clock ticks since boot; 0 when
    /// the line is cut short); COMM may hold spaces and parentheses.
    static func parseStat(_ bytes: [UInt8]) -> (name: String, parent: Int32, startTime: UInt64)? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close
        else { return nil }
        let name = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard rest.count >= 2, let parent = Int32(String(decoding: rest[1], as: UTF8.self)) else { return nil }
        // Field n (1-based) is rest[n - 3]: rest[0] is field 3, the state.
        let startTime = rest.count > 19 ? UInt64(String(decoding: rest[19], as: UTF8.self)) ?? 0 : 0
        return (name, parent, startTime)
    }

    private static func explain(_ error: ProcError, pid: Int32, file: String) -> String {
        if error.isGone {
            return "/proc/\(pid) vanished (process exited)"
        }
        if error.isDenied {
            return "/proc/\(pid)/\(file) unreadable (\(error)): run as root or grant CAP_SYS_PTRACE"
        }
        return "cannot read /proc/\(pid)/\(file): \(error)"
    }
}
