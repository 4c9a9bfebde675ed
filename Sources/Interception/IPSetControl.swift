import Foundation

/// Creates, fills, reads and destroys Chaperone's ipsets with the `ipset` tool.
struct IPSetControl {
    let runner: CommandRunner

    func exists(_ name: String) throws(InterceptionError) -> Bool {
        try runner.run("ipset", ["list", "-n", name]).status == 0
    }

    /// The addresses in set `name` (empty when the set does not exist).
    func members(_ name: String) throws(InterceptionError) -> [String] {
        let output = try runner.run("ipset", ["save", name])
        guard output.status == 0 else { return [] }
        return output.standardOutput.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            return words.count >= 3 && words[0] == "add" ? String(words[2]) : nil
        }
    }

    /// `Number of entries` of set `name`, or nil when it does not exist.
    func size(_ name: String) throws(InterceptionError) -> Int? {
        let output = try runner.run("ipset", ["list", "-t", name])
        guard output.status == 0 else { return nil }
        for line in output.standardOutput.split(separator: "\n") where line.hasPrefix("Number of entries:") {
            return Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "")
        }
        return nil
    }

    func destroy(_ name: String) throws(InterceptionError) {
        guard try exists(name) else { return }
        try runner.check("ipset", ["destroy", name])
    }
}
