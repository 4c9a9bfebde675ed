import Foundation
import Testing

import Identity

@Suite("Choosing the issuer of chaperone login")
struct LoginIssuersTests {
    let corporate = LoginIssuers.Issuer(issuer: "https://login.example.com", audience: "chaperone", clientID: "cli")
    let other = LoginIssuers.Issuer(issuer: "https://sso.example.org/", audience: "chaperone", clientID: "chaperone")
    let actions = LoginIssuers.Issuer(
        issuer: "https://token.actions.githubusercontent.com", audience: "chaperone", clientID: "chaperone", deviceFlow: false)

    @Test("the one issuer that allows the device flow is chosen without --issuer")
    func onlyOne() throws {
        #expect(try LoginIssuers(issuers: [actions, corporate]).choose(nil) == corporate)
    }

    @Test("several need --issuer, matched exactly or but for a trailing slash")
    func several() throws {
        let offer = LoginIssuers(issuers: [corporate, other, actions])
        #expect(throws: LoginError(code: .notConfigured)) { try offer.choose(nil) }
        do {
            _ = try offer.choose(nil)
        } catch {
            #expect(error.message.contains("--issuer") && error.message.contains("https://sso.example.org/"))
            #expect(!error.message.contains("githubusercontent"))
        }
        #expect(try offer.choose("https://sso.example.org") == other)
        #expect(try offer.choose("https://login.example.com/") == corporate)
        #expect(throws: LoginError(code: .notConfigured)) { try offer.choose("https://evil.example") }
    }

    @Test("none configured, or device flow off, says what to do instead")
    func none() throws {
        do {
            _ = try LoginIssuers(issuers: []).choose(nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("identity.issuers"))
        }
        do {
            _ = try LoginIssuers(issuers: [actions]).choose(actions.issuer)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("device_flow: false") && error.message.contains("chaperone token set"))
        }
    }
}
