public import Foundation
public import Policy

/// What `chaperone policy check` adds to the policy's own validation: every masking rule set
/// the policy names exists next to it and loads.
public enum PolicyMaskingCheck {
    /// Problems with the rule sets `policy` names, one message each; empty when all load.
    public static func problems(of policy: Policy, rulesDirectory: URL) -> [String] {
        var names: [String] = [policy.document.defaults.masking]
        names += policy.document.groups.compactMap(\.masking)
        var problems: [String] = []
        for name in Set(names).sorted() {
            let file = rulesDirectory.appendingPathComponent(name == "default" ? "masking.yaml" : "masking.\(name).yaml")
            guard FileManager.default.fileExists(atPath: file.path) else {
                problems.append(
                    "policy.yaml names the masking rule set '\(name)' but \(file.lastPathComponent) does not exist in \(rulesDirectory.path); create it (same format as masking.yaml) or use 'default'")
                continue
            }
            do {
                _ = try MaskingEngine.loadRuleSet(from: file)
            } catch {
                problems.append(error.message)
            }
        }
        return problems
    }
}
