import Testing

@testable import Interception

@Suite("Redirect rule set")
struct RedirectRuleSetTests {
    @Test("the restore input refills our chain, exempts the daemon first, and redirects each address")
    func restoreInput() {
        let set = RedirectRuleSet(
            family: .ipv4, addresses: ["198.18.0.10", "198.18.0.11"], daemonPort: 15443, exemptUID: 998)
        #expect(
            set.restoreInput == """
                *nat
                :CHAPERONE-OUTPUT - [0:0]
                -F CHAPERONE-OUTPUT
                -A CHAPERONE-OUTPUT -m owner --uid-owner 998 -j RETURN
                -A CHAPERONE-OUTPUT -d 198.18.0.10/32 -p tcp -m tcp --dport 443 -j REDIRECT --to-ports 15443
                -A CHAPERONE-OUTPUT -d 198.18.0.11/32 -p tcp -m tcp --dport 443 -j REDIRECT --to-ports 15443
                COMMIT

                """)
    }

    @Test("IPv6 rules use /128 and ip6tables-restore")
    func ipv6() {
        let set = RedirectRuleSet(family: .ipv6, addresses: ["fd00::10"], daemonPort: 15443, exemptUID: 1)
        #expect(set.restoreInput.contains("-d fd00::10/128 "))
        #expect(set.family.restoreCommand == "ip6tables-restore")
    }

    @Test("removal deletes the jump only when it is there")
    func removal() {
        #expect(RedirectRuleSet.removalInput(jumpPresent: true).contains("-D OUTPUT -j CHAPERONE-OUTPUT"))
        #expect(!RedirectRuleSet.removalInput(jumpPresent: false).contains("-D OUTPUT"))
    }
}
