import ArgumentParser
import Foundation

/// `chaperone install`: deploy/install.sh, run from the binary alone.
///
/// The script, the systemd unit and the rules are embedded at build time
/// (``EmbeddedDeployFiles``); they are written to a private temporary directory laid out like the
/// repository, and the script runs from there with this executable as `--binary` unless one is
/// given. Every argument goes to the script as it is.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install this binary as a service (deploy/install.sh, embedded), or --uninstall it.",
        discussion: """
            The same as running deploy/install.sh from the repository, for a host or image that has \
            only this binary: system user, /etc/chaperone (config, rules), /var/lib/chaperone (CA, \
            records), the org CA in the system trust store, certifi bundles, a profile drop-in and \
            Java keystores, the hardened systemd unit, the redirect rules. Idempotent; \
            `chaperone install --uninstall [--purge]` reverses it. Arguments are the script's: \
            --ca-cert FILE --ca-key FILE, --replace-ca, --root DIR, --no-start, --uninstall, --purge \
            (see `chaperone install -- --help`). Needs root. --extract DIR writes the embedded \
            files and exits.
            """)

    @Option(help: "Write the embedded install script, unit and rules under DIR and exit.")
    var extract: String?

    @Argument(parsing: .allUnrecognized, help: "Arguments for the install script.")
    var scriptArguments: [String] = []

    func run() throws {
        if let extract {
            try Self.write(to: URL(fileURLWithPath: extract))
            print("wrote \(EmbeddedDeployFiles.files.count) files under \(extract)")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chaperone-install-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.write(to: directory)
        var arguments = scriptArguments.first == "--" ? Array(scriptArguments.dropFirst()) : scriptArguments
        let needsBinary = !arguments.contains("--uninstall") && !arguments.contains("--binary")
            && !arguments.contains(where: { $0 == "-h" || $0 == "--help" })
        if needsBinary, let executable = Self.ownExecutable() { arguments = ["--binary", executable] + arguments }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [directory.appendingPathComponent("deploy/install.sh").path] + arguments
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }

    /// Writes every embedded file under `root`, the script executable.
    static func write(to root: URL) throws {
        for file in EmbeddedDeployFiles.files {
            let url = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
            let mode = file.path.hasSuffix(".sh") ? 0o755 : 0o644
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        }
    }

    /// This executable's path (what the kernel ran, symlinks resolved).
    static func ownExecutable() -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}
