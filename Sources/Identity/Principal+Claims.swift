extension Principal {
    /// Builds the principal of verified claims.
    ///
    /// GitHub Actions tokens (issuer `https://token.actions.githubusercontent.com`, or a GitHub
    /// Enterprise Server's `https://HOST/_services/token`) and GitLab CI tokens (those with
    /// `project_path` and `pipeline_id`) keep their job facts in ``attributes``.
    /// - Parameters:
    ///   - claims: The verified claims; `sub` and `iss` are strings (checked by the caller).
    ///   - groupsClaim: The claim that lists the groups.
    static func make(claims: [String: JSONValue], groupsClaim: String) -> Principal {
        let issuer = claims["iss"]?.string ?? ""
        var principal = Principal(
            subject: claims["sub"]?.string ?? "",
            email: claims["email"]?.string,
            name: claims["name"]?.string ?? claims["preferred_username"]?.string,
            groups: claims[groupsClaim]?.strings ?? [],
            issuer: issuer,
            source: .oidc
        )
        let copied: [String]
        if issuer == TrustedIssuer.githubActionsIssuer || issuer.hasSuffix("/_services/token") {
            principal.source = .githubActions
            copied = [
                "repository", "repository_owner", "workflow", "workflow_ref", "ref", "sha", "actor", "run_id",
                "run_attempt", "job_workflow_ref", "environment", "event_name", "runner_environment",
            ]
        } else if claims["project_path"] != nil, claims["pipeline_id"] != nil {
            principal.source = .gitlabCI
            copied = [
                "project_path", "pipeline_id", "ref", "user_login", "namespace_path", "job_id", "environment",
                "pipeline_source", "user_email",
            ]
        } else {
            copied = []
        }
        for claim in copied {
            if let text = claims[claim]?.text {
                principal.attributes[claim] = text
            }
        }
        return principal
    }
}
