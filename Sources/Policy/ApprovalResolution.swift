/// How an approval ended.
public enum ApprovalResolution: Sendable, Hashable, Codable {
    /// An approver said yes.
    case approved(by: String, reason: String?)
    /// An approver said no.
    case denied(by: String, reason: String?)
    /// Nobody decided before the timeout.
    case expired

    /// `approved`, `denied` or `expired`.
    public var name: String {
        switch self {
        case .approved: "approved"
        case .denied: "denied"
        case .expired: "expired"
        }
    }
}
