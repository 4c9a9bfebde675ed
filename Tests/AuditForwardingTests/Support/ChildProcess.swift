import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process spawned with a clean signal mask and default signal dispositions.
///
/// Foundation's `Process` hands the child the spawning thread's blocked signals; a test thread has
/// SIGTERM blocked, so rsyslogd started that way ignores `terminate()`.
final class ChildProcess: Sendable {
    let pid: pid_t

    init(_ executable: String, _ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SpawnFailed(executable: executable, errno: result) }
        self.pid = pid
    }

    /// Whether the child has exited (reaps it if so).
    var hasExited: Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result < 0 && errno == ECHILD)
    }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(pid, signal) }

    struct SpawnFailed: Error { var executable: String; var errno: Int32 }
}
