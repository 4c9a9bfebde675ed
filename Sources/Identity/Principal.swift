/// Who is behind a connection, as policy and the audit log see it: a verified token's subject,
/// or the local unix account when the uid handed in no token.
public struct Principal: Sendable, Hashable, Codable {
    /// Where the identity comes from.
    public enum Source: String, Sendable, Hashable, Codable {
        /// An OIDC ID token from a trusted issuer (a person, `chaperone login`).
        case oidc
        /// A GitHub Actions OIDC token (`id-token: write`).
        case githubActions = "github-actions"
        /// A GitLab CI `id_tokens` token.
        case gitlabCI = "gitlab-ci"
        /// No token: the local account of the socket's uid. Not verified by any issuer.
        case unix
    }

    /// `sub`, or `unix:NAME(UID)@HOST` for ``Source/unix``.
    public var subject: String
    public var email: String?
    public var name: String?
    public var groups: [String]
    /// `iss`, or `unix` for ``Source/unix``.
    public var issuer: String
    public var source: Source
    /// Source-specific facts: `repository`, `workflow`, `ref`, `actor`, `run_id` for GitHub
    /// Actions; `project_path`, `pipeline_id`, `ref`, `user_login` for GitLab; `uid` for unix.
    public var attributes: [String: String]

    public init(
        subject: String,
        email: String? = nil,
        name: String? = nil,
        groups: [String] = [],
        issuer: String,
        source: Source,
        attributes: [String: String] = [:]
    ) {
        self.subject = subject
        self.email = email
        self.name = name
        self.groups = groups
        self.issuer = issuer
        self.source = source
        self.attributes = attributes
    }
}

extension Principal {
    /// The principal of a local account that handed in no token: subject `unix:NAME(UID)@HOST`.
    ///
    /// uid 0 is `root` even when the password database cannot be read, and the daemon's own
    /// uid is marked `account: daemon`, so neither is mistaken for an ordinary user.
    /// - Parameters:
    ///   - uid: The socket's owner.
    ///   - userName: The name from the password database, `nil` when it has none.
    ///   - host: This host's name.
    ///   - daemonUID: The daemon's own uid, when known.
    public static func unix(uid: UInt32, userName: String?, host: String, daemonUID: UInt32? = nil) -> Principal {
        let name = userName ?? (uid == 0 ? "root" : "?")
        var attributes = ["uid": String(uid)]
        if uid == 0 {
            attributes["account"] = "root"
        } else if uid == daemonUID {
            attributes["account"] = "daemon"
        }
        return Principal(
            subject: "unix:\(name)(\(uid))@\(host)",
            name: userName,
            issuer: "unix",
            source: .unix,
            attributes: attributes
        )
    }
}
