/// One address to add to `chaperone-llm4` or `chaperone-llm6`, with its per-entry timeout.
public struct IPSetEntry: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    /// Seconds until the kernel removes the entry.
    public var timeout: UInt32

    public init(address: IPAddress, timeout: UInt32) {
        self.address = address
        self.timeout = timeout
    }

    /// The set this entry belongs in, by address family.
    public var setName: String { address.isIPv4 ? IPSetNames.ipv4 : IPSetNames.ipv6 }

    /// The line for `ipset restore -exist`.
    public var restoreLine: String { "add \(setName) \(address) timeout \(timeout)" }

    public var description: String { restoreLine }
}

/// The names of Chaperone's two sets.
public enum IPSetNames {
    public static let ipv4 = "chaperone-llm4"
    public static let ipv6 = "chaperone-llm6"
}
