import ArgumentParser
import Foundation
import Masking
import Proxy

/// `chaperone mask`: the daemon's masking engine on standard input, for rule authors and hooks.
struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Mask standard input to standard output with the daemon's masking engine.",
        discussion: """
            Reads standard input as it arrives (streaming: nothing waits for the end of the input \
            except what could still be part of a secret), masks it with the rules of \
            RULES/masking.yaml for the chosen direction, and writes the result to standard output. \
            With --findings every finding is printed as a JSON line on standard error: rule, \
            entity, action and byte offsets, never the value. The exit status is 0, or 1 with \
            --check when anything was found (for pre-commit hooks).

              git diff --cached | chaperone mask --check --findings > /dev/null
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
        case sseOpenAI = "sse-openai"
        case sseOpenAIResponses = "sse-openai-responses"
        case sseAnthropic = "sse-anthropic"
        case sseGemini = "sse-gemini"

        /// The SSE dialect, or nil for `text` and `json`.
        var dialect: SSEEventMasker.Dialect? {
            switch self {
            case .text, .json: nil
            case .sseOpenAI: .openAIChat
            case .sseOpenAIResponses: .openAIResponses
            case .sseAnthropic: .anthropicMessages
            case .sseGemini: .gemini
            }
        }
    }

    @Option(help: ArgumentHelp("Rules directory holding masking.yaml (default: the configured or shipped rules).", valueName: "dir"))
    var rules: String?

    @Option(
        help: """
            How to read the input: text (any bytes); json (string values only, output stays valid JSON); \
            sse-openai, sse-openai-responses, sse-anthropic, sse-gemini (a provider's event stream: the text \
            deltas are masked, every other event and field passes unchanged).
            """)
    var format: Format = .text

    @Option(help: "Which rules apply: those for request, response or record.")
    var direction: String = "request"

    @Flag(help: "Print findings as JSON lines on standard error.")
    var findings = false

    @Flag(help: "Exit with status 1 when anything was found.")
    var check = false

    func run() throws {
        guard let direction = MaskingDirection(rawValue: direction) else {
            throw ValidationError("--direction must be request, response or record")
        }
        let directory = rules.map { URL(fileURLWithPath: $0) } ?? ChaperoneConfiguration().effectiveRulesDirectory
        let ruleSet: MaskingRuleSet
        do {
            ruleSet = try MaskingEngine.loadRuleSet(from: directory.appendingPathComponent("masking.yaml"))
        } catch {
            throw ValidationError(error.message)
        }
        let masker: Masker
        do {
            masker = try Masker(rules: ruleSet, direction: direction)
        } catch {
            throw ValidationError("masking.yaml: \(error)")
        }
        let session = MaskingSession()
        var sink = FindingSink(enabled: findings)
        let input = FileHandle.standardInput
        switch format {
        case .text:
            var stream = masker.makeStream(session: session)
            while let chunk = try input.read(upToCount: 64 * 1024), !chunk.isEmpty {
                sink.emit(stream.feed(chunk))
            }
            sink.emit(stream.finish())
        case .json:
            var stream = JSONStringMasker(masker: masker, session: session)
            while let chunk = try input.read(upToCount: 64 * 1024), !chunk.isEmpty {
                sink.emit(stream.feed(chunk))
            }
            sink.emit(stream.finish())
        case .sseOpenAI, .sseOpenAIResponses, .sseAnthropic, .sseGemini:
            var stream = SSEEventMasker(dialect: format.dialect ?? .openAIChat, masker: masker, session: session)
            while let chunk = try input.read(upToCount: 64 * 1024), !chunk.isEmpty {
                sink.emit(stream.feed(chunk))
            }
            sink.emit(stream.finish())
        }
        if check, sink.count > 0 { throw ExitCode(1) }
    }
}

/// Writes masked bytes to standard output and findings to standard error as they come.
private struct FindingSink {
    let enabled: Bool
    var count = 0
    let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    mutating func emit(_ output: MaskedOutput) {
        FileHandle.standardOutput.write(Data(output.bytes))
        count += output.findings.count
        guard enabled else { return }
        for finding in output.findings {
            if let line = try? encoder.encode(finding) {
                FileHandle.standardError.write(line + Data("\n".utf8))
            }
        }
    }
}
