public import Foundation
import Yams

extension Policy {
    /// The policy file in a rules directory.
    public static let fileName = "policy.yaml"
    /// The folder of optional fragments, read after `policy.yaml` in name order.
    public static let fragmentsFolder = "policy.d"

    /// Loads `policy.yaml` and `policy.d/*.yaml` from a rules directory.
    ///
    /// When the directory also holds `providers.yaml`, provider names in the policy are
    /// checked against it, so a misspelt provider is an error instead of a rule that never
    /// matches.
    ///
    /// - Parameter directory: The rules directory (`Rules/`, `/etc/chaperone/rules`).
    /// - Throws: ``PolicyError`` with every problem found, including unreadable files.
    public static func load(directory: URL) throws(PolicyError) -> Policy {
        var files: [PolicyFile] = []
        var problems: [PolicyDiagnostic] = []
        let main = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: main.path) else {
            throw PolicyError(diagnostics: [
                PolicyDiagnostic(
                    file: fileName,
                    line: 1,
                    column: 1,
                    message:
                        "no \(fileName) in \(directory.path); copy the shipped Rules/policy.yaml there and adapt it"
                )
            ])
        }
        var names = [fileName]
        let fragments = directory.appendingPathComponent(fragmentsFolder)
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: fragments.path) {
            names += entries.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map {
                "\(fragmentsFolder)/\($0)"
            }
        }
        for name in names {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problems.append(
                    PolicyDiagnostic(
                        file: name,
                        line: 1,
                        column: 1,
                        message: "cannot read \(url.path); check that the daemon's user may read it"
                    )
                )
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                problems.append(
                    PolicyDiagnostic(
                        file: name,
                        line: 1,
                        column: 1,
                        message: "\(name) is not UTF-8 text; save it as UTF-8"
                    )
                )
                continue
            }
            files.append(PolicyFile(name: name, text: text))
        }
        guard problems.isEmpty else { throw PolicyError(diagnostics: problems) }
        return try Policy(files: files, knownProviders: providerNames(in: directory))
    }

    /// Provider names from `providers.yaml`, or `nil` when it is absent or unreadable (the
    /// proxy reports problems in that file; here it only sharpens diagnostics).
    static func providerNames(in directory: URL) -> Set<String>? {
        let url = directory.appendingPathComponent("providers.yaml")
        guard let data = FileManager.default.contents(atPath: url.path),
            let text = String(data: data, encoding: .utf8),
            let root = try? Yams.compose(yaml: text),
            let providers = root["providers"], case .sequence(let entries) = providers
        else { return nil }
        let names = entries.compactMap { $0["name"]?.string }
        return names.isEmpty ? nil : Set(names)
    }
}
