// Micro benchmarks of the masking engine (package-benchmark; see Benchmarks/README.md).
//
//   make bench-micro                      runs every suite
//   make bench-micro-check                compares a run with Benchmarks/Thresholds
//
// Each body is built once, outside the measurement; each iteration masks it whole, as the proxy
// masks a buffered request body. The SSE benchmark feeds one small OpenAI chat delta event per
// iteration into a long-lived event masker, as a streamed response does.

import Benchmark
import Masking

/// Payload sizes, shown in the benchmark names so ops/s converts to bytes/s.
private enum Corpus {
    /// About 4 KiB of plain English with nothing to mask: the common case, the scan cost alone.
    static let cleanProse: [UInt8] = {
        let paragraph = """
            The quarterly planning meeting covered the roadmap for the next two releases. The team \
            agreed to focus on reliability first, then on the reporting features that customers \
            asked for during the spring. Several people noted that the documentation lags behind \
            the product, and that onboarding new engineers takes longer than it should. We will \
            review the backlog again next week and decide which items move into the first sprint.

            """
        var text = ""
        while text.utf8.count < 4_096 { text += paragraph }
        return Array(text.utf8.prefix(4_096))
    }()

    /// About 4 KiB where every line carries several values the default rules mask or must check:
    /// e-mail addresses, phone numbers, Luhn-valid card numbers, AWS and OpenAI-style keys, IPs.
    static let dense: [UInt8] = {
        var text = ""
        var index = 0
        while text.utf8.count < 4_096 {
            text += """
                Ticket \(index): contact jane.doe\(index)@example.com or +1 415 555 \(1_000 + index), \
                card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE, \
                token sk-proj-\(index)aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA3cE5gH7, host 10.20.\(index % 250).7.

                """
            index += 1
        }
        return Array(text.utf8.prefix(4_096))
    }()

    /// One small `chat.completion.chunk` event as OpenAI streams it.
    static let openAIDelta = Array(
        (#"data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","#
            + #""created":1741570283,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8","#
            + #""choices":[{"index":0,"delta":{"content":" the quick brown"},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n").utf8)
}

let benchmarks: @Sendable () -> Void = {
    // A shared machine is noisy: only a clear regression (p50 25% slower, more allocations) fails.
    let timeTolerance = BenchmarkThresholds(relative: [.p50: 25.0, .p75: 35.0])
    let countTolerance = BenchmarkThresholds(relative: [.p50: 5.0])
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000,
        thresholds: [
            .wallClock: timeTolerance,
            .throughput: timeTolerance,
            .mallocCountTotal: countTolerance,
        ]
    )

    let session = MaskingSession(organisationKey: Array("benchmark-org-key".utf8))
    let requestMasker = try! Masker(direction: .request)
    let responseMasker = try! Masker(direction: .response)

    Benchmark("Masker clean prose (4 KiB)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(requestMasker.mask(Corpus.cleanProse, session: session))
        }
    }

    Benchmark("Masker dense candidates (4 KiB)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(requestMasker.mask(Corpus.dense, session: session))
        }
    }

    // One masker for the whole run: the per-event cost in a long stream (no finish_reason, so
    // the text stream stays open, as it does mid-response).
    var sse = SSEEventMasker(dialect: .openAIChat, masker: responseMasker, session: session)
    Benchmark(
        "SSE OpenAI delta event (\(Corpus.openAIDelta.count) B)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(sse.feed(Corpus.openAIDelta))
        }
    }
}
