/// One policy file as loaded, for the audit log's `policy.snapshot` event.
public struct PolicyFile: Sendable, Hashable, Codable {
    /// The name relative to the rules directory: `policy.yaml`, `policy.d/10-data.yaml`.
    public let name: String
    /// The file's content.
    public let text: String

    /// Creates a file entry.
    ///
    /// - Parameters:
    ///   - name: The name relative to the rules directory.
    ///   - text: The content.
    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}
