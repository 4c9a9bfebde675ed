import Crypto
import Foundation

/// The policy hash: lowercase hex SHA-256 over the files sorted by name, each contributing
/// its name's UTF-8 bytes, a 0x00 byte, its content's UTF-8 bytes and a 0x00 byte.
///
/// Anyone can recompute it from a `policy.snapshot` event to show which rules were in force.
enum PolicyHash {
    static func digest(of files: [PolicyFile]) -> String {
        var hasher = SHA256()
        for file in files.sorted(by: { $0.name < $1.name }) {
            hasher.update(data: Data(file.name.utf8))
            hasher.update(data: Data([0]))
            hasher.update(data: Data(file.text.utf8))
            hasher.update(data: Data([0]))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
