import Foundation
import Policy
import Testing

@Suite("Policy errors: file:line:column, what is wrong, what to write")
struct PolicyErrorTests {
    static let broken = """
        version: 1
        defaults:
          inspect_limit_kb: lots
          unauthenticated: maybe
        groups:
          security: {}
          engineering:
            providers: [openai, antropic]
            model: ["gpt-4o"]
            endpoints: [chat, embedings]
          data:
            models: ["gpt-[45]o"]
            providers: openai
        deny:
          - name: bad-regex
            when: {prompt: ['(unclosed']}
          - name: no when
            message: x
        approvals:
          - name: slow
            when: {endpoints: [chat]}
            mode: hold
            timeout: 5 minutes
            approvers: [secuirty]
          - name: nobody
            when: {entities: [private_key]}
            mode: ticket
        """

    static let diagnostics = Fixture.diagnostics(
        ["policy.yaml": broken],
        knownProviders: ["openai", "anthropic", "gemini"]
    )

    /// The diagnostic at `location`, which must exist.
    func at(_ location: String) -> String {
        Self.diagnostics.first { $0.hasPrefix(location + ": ") }
            ?? "no diagnostic at \(location); got:\n\(Self.diagnostics.joined(separator: "\n"))"
    }

    @Test func collectsEveryProblemNotJustTheFirst() {
        #expect(Self.diagnostics.count == 12, "\(Self.diagnostics.joined(separator: "\n"))")
    }

    @Test func wrongType() {
        #expect(
            at("policy.yaml:3:21")
                == "policy.yaml:3:21: defaults.inspect_limit_kb must be a whole number, found 'lots'; write e.g. inspect_limit_kb: 1024"
        )
        #expect(
            at("policy.yaml:13:16").contains(
                "providers in group 'data' must be a list, found 'openai'; write e.g. providers: [openai, anthropic]"
            )
        )
    }

    @Test func badChoice() {
        #expect(at("policy.yaml:4:20").contains("'maybe' is not a choice; write deny, allow or group:NAME"))
    }

    @Test func unknownKeySuggestsTheClosest() {
        #expect(at("policy.yaml:9:5").contains("unknown key 'model' in group 'engineering'; did you mean 'models'?"))
    }

    @Test func unknownProviderSuggestsTheClosest() {
        #expect(
            at("policy.yaml:8:25").contains(
                "unknown provider 'antropic' in group 'engineering'; did you mean 'anthropic'?"
            )
        )
    }

    @Test func unknownEndpointListsTheValidOnes() {
        let message = at("policy.yaml:10:23")
        #expect(message.contains("unknown endpoint 'embedings'"))
        #expect(message.contains("did you mean 'embeddings'?"))
        #expect(message.contains("valid endpoints: chat, completions, responses, embeddings, files, fine-tuning"))
    }

    @Test func badGlob() {
        #expect(
            at("policy.yaml:12:14").contains(
                "bad model glob 'gpt-[45]o' in group 'data': brackets and braces are not supported"
            )
        )
    }

    @Test func badRegex() {
        #expect(at("policy.yaml:16:21").contains("bad regular expression '(unclosed' in deny rule 'bad-regex' when"))
    }

    @Test func ruleNameWithSpaces() {
        #expect(at("policy.yaml:17:13").contains("rule name 'no when' contains spaces; use dashes, e.g. no-when"))
    }

    @Test func badDuration() {
        #expect(at("policy.yaml:23:14").contains("'5 minutes' is not a duration; write 5m, 90s or 1h"))
    }

    @Test func undefinedGroupSuggestsTheClosest() {
        let message = at("policy.yaml:24:17")
        #expect(
            message.contains("names group 'secuirty', which is not defined under groups:; did you mean 'security'?")
        )
    }

    @Test func approvalWithoutApprovers() {
        #expect(at("policy.yaml:25:7").contains("approval rule 'nobody' has no approvers:; add approvers: [security]"))
    }

    @Test func yamlSyntaxError() {
        let found = Fixture.diagnostics(["policy.yaml": "version: 1\ngroups:\n  a: {providers: [openai]\n"])
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("policy.yaml:4:1: not valid YAML: ") == true, "\(found)")
    }

    @Test func missingVersionAndDefaultsInAFragment() {
        let found = Fixture.diagnostics(["policy.yaml": "groups: {}\n", "policy.d/x.yaml": "defaults:\n  masking: x\n"])
        #expect(
            found == [
                "policy.yaml:1:1: policy.yaml has no version; add version: 1 as its first line",
                "policy.d/x.yaml:1:1: defaults may only be set in policy.yaml; move this section there",
            ]
        )
    }

    @Test func duplicateRuleNamesAcrossFiles() {
        let found = Fixture.diagnostics([
            "policy.yaml": "version: 1\ndeny:\n  - name: a\n    when: {tools: true}\n",
            "policy.d/10-more.yaml": "deny:\n  - name: a\n    when: {tools: false}\n",
        ])
        #expect(
            found == [
                "policy.d/10-more.yaml:2:11: rule name 'a' is already used at policy.yaml:3:11; rule names identify rules in the audit log and in grants, give this one another name"
            ]
        )
    }

    @Test func duplicateKeys() {
        let found = Fixture.diagnostics(["policy.yaml": "version: 1\ngroups:\n  a: {}\n  a: {}\n"])
        #expect(
            found == [
                "policy.yaml:3:3: key 'a' appears more than once in the same mapping; keep one and merge what the copies say"
            ]
        )
    }

    @Test func emptyListsAndEmptyConditions() {
        let text = """
            version: 1
            groups:
              a: {providers: []}
            deny:
              - name: everything
                when: {}
            """
        let found = Fixture.diagnostics(["policy.yaml": text])
        #expect(found.count == 2, "\(found)")
        #expect(
            found.contains {
                $0.hasPrefix("policy.yaml:3:18: providers in group 'a' is an empty list, which matches nothing")
            }
        )
        #expect(
            found.contains {
                $0.hasPrefix(
                    "policy.yaml:6:11: deny rule 'everything' when has no condition and would match every request"
                )
            }
        )
    }

    @Test func modeSpecificKeysAndUnknownSources() {
        let text = """
            version: 1
            groups:
              security: {}
            sources:
              github-action: [security]
            approvals:
              - name: h
                when: {sources: [gitlab]}
                mode: hold
                approvers: [security]
                grant_for: 1h
            """
        let found = Fixture.diagnostics(["policy.yaml": text])
        #expect(
            found.contains {
                $0.hasPrefix(
                    "policy.yaml:5:3: unknown identity source 'github-action' under sources:; did you mean 'github-actions'?"
                )
            }
        )
        #expect(found.contains { $0.hasPrefix("policy.yaml:8:22: unknown identity source 'gitlab'") })
        #expect(found.contains { $0.hasPrefix("policy.yaml:11:16: grant_for applies to ticket rules only") })
    }

    @Test func missingPolicyFile() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: PolicyError.self) { try Policy.load(directory: directory) }
        do {
            _ = try Policy.load(directory: directory)
        } catch {
            #expect(error.description.contains("no policy.yaml in"))
            #expect(
                error.description.hasPrefix(
                    "policy not loaded (1 problem); the previous policy, if any, stays in force:"
                )
            )
        }
    }
}
