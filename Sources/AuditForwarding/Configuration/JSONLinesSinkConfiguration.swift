/// Where to append JSON lines for a log shipper (Filebeat, Vector, Fluent Bit).
public struct JSONLinesSinkConfiguration: Sendable, Hashable {
    /// The sink's name; it keys the cursor.
    public var name: String
    /// The file (`path`); created with mode 0640 and re-created when rotated away.
    public var path: String

    /// Creates a configuration.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}
