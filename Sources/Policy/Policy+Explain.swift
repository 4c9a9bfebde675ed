public import Foundation

extension Policy {
    /// Decides a request and describes the decision for `chaperone policy explain`: the
    /// verdict and reason, then every rule considered, in evaluation order, with why it
    /// matched or not. For `--json`, encode ``decide(_:grants:now:)``'s result instead.
    ///
    /// - Parameters:
    ///   - request: The request to explain.
    ///   - grants: Grants in force.
    ///   - now: The current time.
    /// - Returns: Human-readable text, one fact per line.
    public func explain(_ request: PolicyRequest, grants: [Grant], now: Date) -> String {
        let decision = decide(request, grants: grants, now: now)
        let principal = request.principal
        var model = request.model.map { ", model \($0)" } ?? ""
        if !request.bodyInspected { model += " (body not inspected)" }
        var lines = [
            "decision:  \(decision.outcome)"
                + (decision.matchedRules.isEmpty ? "" : " (\(decision.matchedRules.joined(separator: ", ")))"),
            "reason:    \(decision.reason)",
            "request:   \(request.method) \(request.host)\(request.path) → \(request.provider ?? "unknown provider") \(request.endpoint.rawValue)\(model)",
            "principal: \(principal.displayName) (\(principal.source)), groups: \(decision.groups.isEmpty ? "none" : decision.groups.joined(separator: ", "))",
            "masking:   \(decision.maskingRuleSet)",
            "policy:    sha256:\(hash)",
            "steps:",
        ]
        let stageWidth = decision.trace.map(\.stage.rawValue.count).max() ?? 0
        let ruleWidth = min(40, decision.trace.map(\.rule.count).max() ?? 0)
        let resultWidth = decision.trace.map(\.result.rawValue.count).max() ?? 0
        for (index, step) in decision.trace.enumerated() {
            lines.append(
                "  \(index + 1). " + pad(step.stage.rawValue, stageWidth) + "  " + pad(step.rule, ruleWidth) + "  "
                    + pad(step.result.rawValue, resultWidth) + "  " + step.detail
            )
        }
        return lines.joined(separator: "\n")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
