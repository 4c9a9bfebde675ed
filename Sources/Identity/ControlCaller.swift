/// Who sent a control socket request: the kernel's `SO_PEERCRED` and, when that uid handed in a
/// token, its verified principal. Never anything the request claims about itself.
public struct ControlCaller: Sendable, Hashable {
    /// The caller's uid (`SO_PEERCRED`).
    public var uid: UInt32
    /// The caller's pid (`SO_PEERCRED`).
    public var pid: Int32
    /// The uid's verified principal, or its unix fallback when it handed in no token.
    public var principal: Principal
    /// Whether ``principal`` comes from a verified token.
    public var verified: Bool
    /// The uid's account name, when the password database has one.
    public var userName: String?

    public init(uid: UInt32, pid: Int32, principal: Principal, verified: Bool, userName: String?) {
        self.uid = uid
        self.pid = pid
        self.principal = principal
        self.verified = verified
        self.userName = userName
    }
}
