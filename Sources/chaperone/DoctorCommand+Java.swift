import Foundation

extension DoctorCommand {
    /// The alias `deploy/install.sh` gives the org CA in Java keystores.
    static let javaAlias = "chaperone-org-ca"

    /// Whether every Java `cacerts` keystore on the host holds the org CA (compared by SHA-256
    /// fingerprint, whatever the alias). No check when Java is not installed: nothing to trust.
    static func javaTrustChecks(caPath: String) -> [Check] {
        guard let keytool = executable(named: "keytool") else { return [] }
        let password = ProcessInfo.processInfo.environment["CHAPERONE_JAVA_STOREPASS"] ?? "changeit"
        let importCommand = "keytool -importcert -noprompt -alias \(javaAlias) -file \(caPath) -keystore KEYSTORE (deploy/install.sh does)"
        guard let printed = output(of: keytool, ["-printcert", "-file", caPath]),
            let fingerprint = sha256Fingerprints(in: printed).first
        else {
            return [Check(name: "trust-java", ok: false, detail: "keytool cannot read \(caPath)", fix: "check that the CA file is a PEM certificate")]
        }
        let keystores = javaKeystores()
        guard !keystores.isEmpty else {
            return [Check(name: "trust-java", ok: false, detail: "keytool is installed but no cacerts keystore was found", fix: importCommand)]
        }
        return keystores.map { keystore in
            guard let listing = output(of: keytool, ["-list", "-v", "-keystore", keystore, "-storepass", password]) else {
                return Check(
                    name: "trust-java", ok: false, detail: "keytool cannot list \(keystore)",
                    fix: "check its password (CHAPERONE_JAVA_STOREPASS, default changeit) and run as root")
            }
            let trusted = sha256Fingerprints(in: listing).contains(fingerprint)
            return Check(
                name: "trust-java", ok: trusted, detail: trusted ? "org CA in \(keystore)" : "org CA not in \(keystore)",
                fix: trusted ? nil : importCommand.replacingOccurrences(of: "KEYSTORE", with: keystore))
        }
    }

    /// The `cacerts` keystores of the installed JVMs, each once (by its real path).
    static func javaKeystores() -> [String] {
        var candidates = ["/etc/ssl/certs/java/cacerts"]
        if let jvms = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/jvm") {
            candidates += jvms.sorted().map { "/usr/lib/jvm/\($0)/lib/security/cacerts" }
        }
        var seen: Set<String> = []
        return candidates.compactMap { path in
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            return seen.insert(real).inserted ? real : nil
        }
    }

    /// The `SHA256:` fingerprints keytool printed (tab-indented lines), in order.
    static func sha256Fingerprints(in keytoolOutput: String) -> [String] {
        keytoolOutput.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.count >= 2 && fields[0] == "SHA256:" ? String(fields[1]) : nil
        }
    }

    /// The first executable called `name` on PATH.
    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// What a command printed on standard output when it exited 0, else nil.
    static func output(of executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
