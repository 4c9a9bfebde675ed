import Foundation
import Testing

@testable import Identity

@Suite("CI identity tokens")
struct CIIdentityTokenTests {
    @Test("GitHub Actions: the request token is sent as a bearer, the audience appended, the value returned")
    func gitHubActions() async throws {
        try await withTestIssuer(keys: []) { issuer in
            let body = try JSONSerialization.data(withJSONObject: ["count": 1, "value": "header.payload.signature"])
            issuer.setRoute("/_apis/token", authorization: "bearer request-secret", body: body)
            let fetcher = try HTTPSFetcher(trust: .caBundle(path: TestPKI.shared.caPath), timeout: .seconds(5))
            var environment = [
                "ACTIONS_ID_TOKEN_REQUEST_URL": issuer.url.absoluteString + "/_apis/token?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-secret",
            ]
            let token = try await CIIdentityToken.gitHubActions(
                audience: "chaperone", environment: environment, fetcher: fetcher)
            #expect(token == "header.payload.signature")
            #expect(issuer.lastQuery == "api-version=2.0&audience=chaperone")

            environment["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong"
            await #expect(throws: TokenError.self) {
                try await CIIdentityToken.gitHubActions(audience: "chaperone", environment: environment, fetcher: fetcher)
            }
        }
    }

    @Test("outside a job, the error says which permission the workflow needs")
    func notInActions() async throws {
        let fetcher = try HTTPSFetcher(trust: .system, timeout: .seconds(1))
        do {
            _ = try await CIIdentityToken.gitHubActions(audience: "chaperone", environment: [:], fetcher: fetcher)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("id-token: write"))
        }
    }

    @Test("GitLab CI: the token comes from the job's id_tokens variable")
    func gitLab() throws {
        #expect(try CIIdentityToken.gitLabCI(environment: ["CHAPERONE_ID_TOKEN": "a.b.c"]) == "a.b.c")
        #expect(throws: TokenError.self) { try CIIdentityToken.gitLabCI(environment: [:]) }
    }
}
