/// Why an approver's decision was refused. Two errors are equal when their codes are.
public struct ApprovalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// No approval has this id.
        public static let unknownID = Code("unknownID")
        /// The approver is in none of the rule's approver groups.
        public static let notAnApprover = Code("notAnApprover")
        /// The approver sent the request.
        public static let selfApproval = Code("selfApproval")
        /// The rule requires a reason and none was given.
        public static let justificationRequired = Code("justificationRequired")
        /// Someone already decided, or it expired.
        public static let alreadyResolved = Code("alreadyResolved")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed and what to do next.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func == (lhs: ApprovalError, rhs: ApprovalError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { message }
}
