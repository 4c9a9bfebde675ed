/// The shape every error of this module has: a code to match on, a message that says what
/// failed and what to do next, and where it was made; equal and hashable by code only, so
/// tests compare against `SomeError(code:)`.
public protocol CodedError: Error, Hashable, CustomStringConvertible, Sendable {
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// The kind of failure; the only field that takes part in equality.
    var code: Code { get }
    /// What failed and what to do next.
    var message: String { get }
    /// Where the error was made.
    var file: String { get }
    var line: UInt { get }
}

extension CodedError {
    public var description: String {
        "\(Self.self).\(self.code): \(self.message) (\(self.file):\(self.line))"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}
