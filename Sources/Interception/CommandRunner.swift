import Foundation

/// Runs the netfilter tools (`iptables`, `iptables-restore`, ...) and reports their failures plainly.
public struct CommandRunner: Sendable {
    /// The result of one command.
    public struct Output: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
    }

    public init() {}

    /// Runs `command` with `arguments`, feeding `input` on standard input.
    ///
    /// - Throws: ``InterceptionError`` with `.toolMissing` when the command is not installed.
    public func run(_ command: String, _ arguments: [String], input: String? = nil) throws(InterceptionError) -> Output {
        guard let path = Self.locate(command) else {
            throw InterceptionError(
                .toolMissing, "\(command) is not installed; install Debian's `iptables` package (apt-get install iptables)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw InterceptionError(.commandFailed, "cannot start \(path): \(error)")
        }
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: err, as: UTF8.self))
    }

    /// Runs and throws unless the command succeeds.
    @discardableResult
    public func check(_ command: String, _ arguments: [String], input: String? = nil) throws(InterceptionError) -> String {
        let output = try run(command, arguments, input: input)
        guard output.status == 0 else {
            let detail = output.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            let hint = detail.contains("Permission denied") || detail.contains("Operation not permitted")
                ? "; run as root or with CAP_NET_ADMIN" : ""
            throw InterceptionError(
                .commandFailed,
                "\(command) \(arguments.joined(separator: " ")) failed (exit \(output.status)): \(detail)\(hint)")
        }
        return output.standardOutput
    }

    static func locate(_ command: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return directories.map { $0 + "/" + command }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
