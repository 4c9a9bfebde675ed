// Micro benchmarks of the per-connection and per-exchange steps of the data path other than
// masking (package-benchmark; see Benchmarks/README.md): ClientHello parsing, leaf minting
// (cold and cached), the policy decision and one durable audit append.

import Audit
import Benchmark
import Foundation
import Logging
import Policy
import Proxy

/// The ClientHello of curl 7.88.1 (OpenSSL 3.0.19) with --http2 for api.openai.com, as captured
/// for Tests/ProxyTests/ClientHello (fixture `curlHTTP2`): one 517-byte TLS record.
private let curlClientHello: [UInt8] = [
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a, 0x63, 0xf2, 0xab, 0x43,
    0xe4, 0x8d, 0x4b, 0xec, 0xc4, 0xca, 0x63, 0x13, 0xf3, 0x32, 0x37, 0xbd, 0xdc, 0xe6, 0x98, 0x8f,
    0x3a, 0x46, 0x4b, 0xe1, 0xf0, 0x78, 0xf6, 0xbc, 0xe0, 0xff, 0x84, 0x20, 0x5e, 0x1d, 0xd7, 0xbb,
    0xa5, 0x2d, 0x56, 0xa5, 0x61, 0xae, 0x1f, 0xf1, 0x48, 0x0c, 0x6d, 0xda, 0x16, 0x08, 0xd4, 0xea,
    0x80, 0x9d, 0x16, 0x9c, 0xbe, 0x88, 0x83, 0x20, 0x2c, 0x31, 0x8d, 0x03, 0x00, 0x3e, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
    0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27,
    0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
    0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
    0x00, 0x00, 0x00, 0x13, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x61, 0x70, 0x69, 0x2e, 0x6f, 0x70, 0x65,
    0x6e, 0x61, 0x69, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00,
    0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01,
    0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02,
    0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00,
    0x17, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05,
    0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08,
    0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04,
    0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02,
    0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d,
    0x00, 0x20, 0x36, 0x49, 0xc7, 0x54, 0xcb, 0xda, 0x54, 0x67, 0xd3, 0x79, 0xd1, 0x45, 0xff, 0x46,
    0x9f, 0x91, 0x3d, 0xbd, 0x1c, 0xd6, 0x98, 0x5a, 0x7d, 0x65, 0x20, 0x30, 0x2a, 0x0f, 0x65, 0xb6,
    0x4d, 0x4d, 0x00, 0x15, 0x00, 0xaf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00,
]

/// The decision-table policy of Tests/PolicyTests/Support.swift: groups, deny rules (one a prompt
/// pattern) and approvals, so a decision walks every kind of rule.
private let policyText = """
        version: 1
        defaults:
          unauthenticated: deny
          inspect_limit_kb: 1024
          on_uninspectable: deny
          masking: default
        unix_users:
          ci-runner: [ci]
        sources:
          github-actions: [ci]
        groups:
          engineering:
            providers: [openai, anthropic, github-copilot]
            models: ["gpt-4o*", "gpt-4.1*", "claude-*"]
            endpoints: [chat, embeddings, responses, models]
          data-science:
            providers: [openai, gemini]
            masking: strict
          ci:
            providers: [openai]
            endpoints: [embeddings, chat]
          security:
            providers: [openai]
            endpoints: [chat]
          contractors: {}
        deny:
          - name: no-fine-tuning-from-ci
            when: {sources: [github-actions, gitlab-ci], endpoints: [fine-tuning]}
            message: "CI jobs may not start fine-tuning jobs."
          - name: contractors-no-tools
            when: {groups: [contractors], tools: true}
            message: "Contractors may not use tool calling."
          - name: no-codenames
            when: {prompt: ['project\\s+nightingale']}
            message: "Prompts naming Project Nightingale are not allowed."
        approvals:
          - name: secrets-in-prompt
            when: {entities: [aws_access_key, private_key]}
            mode: hold
            approvers: [security]
            timeout: 5m
            require_justification: true
            fail: closed
          - name: fine-tuning-ticket
            when: {endpoints: [fine-tuning, files]}
            unless: {groups: [security]}
            mode: ticket
            approvers: [security]
            grant_for: 30m
          - name: big-embeddings
            when: {min_body_kb: 512, endpoints: [embeddings]}
            mode: ticket
            approvers: [security]
        """

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

    // MARK: ClientHello

    let parser = ClientHelloParser()
    Benchmark("ClientHello parse (curl h2, 517 B)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? parser.parse(curlClientHello))
        }
    }

    // MARK: Leaf minting

    // The CA is generated in setup hooks, not here: this closure runs each time the tool starts
    // the suite's process (listing included), and key generation is not free.
    var minter: LeafMinter?
    var hostCounter = 0
    Benchmark(
        "Leaf mint cold (makeLeaf, new SNI)",
        configuration: .init(maxIterations: 2_000)
    ) { benchmark in
        guard let minter else { fatalError("setup did not run") }
        for _ in benchmark.scaledIterations {
            hostCounter += 1
            blackHole(try! minter.makeLeaf(for: "host-\(hostCounter).example.com"))
        }
    } setup: {
        minter = LeafMinter(authority: try OrgCertificateAuthority.generate())
    }

    var cache: LeafContextCache?
    Benchmark(
        "Leaf context cold (cache miss: mint + NIOSSLContext, new SNI)",
        configuration: .init(maxIterations: 2_000)
    ) { benchmark in
        guard let cache else { fatalError("setup did not run") }
        for _ in benchmark.scaledIterations {
            hostCounter += 1
            blackHole(try! await cache.context(for: "host-\(hostCounter).example.com"))
        }
    } setup: {
        cache = LeafContextCache(minter: LeafMinter(authority: try OrgCertificateAuthority.generate()))
    } teardown: {
        cache = nil
    }

    var warmCache: LeafContextCache?
    Benchmark("Leaf context cached (cache hit)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        guard let warmCache else { fatalError("setup did not run") }
        for _ in benchmark.scaledIterations {
            blackHole(try! await warmCache.context(for: "api.openai.com"))
        }
    } setup: {
        let cache = LeafContextCache(minter: LeafMinter(authority: try OrgCertificateAuthority.generate()))
        _ = try await cache.context(for: "api.openai.com")
        warmCache = cache
    } teardown: {
        warmCache = nil
    }

    // MARK: Policy

    Benchmark("Policy load (YAML text, \(policyText.utf8.count) B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! Policy(files: [PolicyFile(name: "policy.yaml", text: policyText)]))
        }
    }

    let policy = try! Policy(files: [PolicyFile(name: "policy.yaml", text: policyText)])
    let alice = PolicyPrincipal(
        subject: "oidc|alice", email: "alice@example.com", groups: ["engineering"], source: "oidc",
        attributes: ["uid": "1001"]
    )
    // An allowed chat request that every deny and approval rule has to look at and pass.
    let request = PolicyRequest(
        principal: alice, provider: "openai", host: "api.openai.com", method: "POST",
        path: "/v1/chat/completions", model: "gpt-4o-mini", bodyBytes: 2_048, bodyInspected: true,
        entities: ["email": 1], usesTools: false,
        text: "Summarise the attached meeting notes for [EMAIL] in three bullet points."
    )
    let now = Date()
    Benchmark("Policy decide (allowed chat request)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(policy.decide(request, grants: [], now: now))
        }
    }

    // MARK: Audit

    var store: AuditStore?
    var directory: URL?
    var sequence = 0
    Benchmark(
        "Audit append (one event, durable)",
        configuration: .init(maxIterations: 5_000)
    ) { benchmark in
        guard let store else { fatalError("setup did not run") }
        for _ in benchmark.scaledIterations {
            sequence += 1
            let draft = AuditEventDraft(
                kind: .exchangeRequest, session: "s-1", exchange: "x-\(sequence)",
                principal: "unix:alice(1001)@build-7", policyHash: nil,
                payload: ["method": "POST", "path": "/v1/chat/completions", "body": .string("hello \(sequence) [EMAIL]")]
            )
            blackHole(try! await store.append(draft))
        }
    } setup: {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("chaperone-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        directory = url
        store = try AuditStore(
            path: url.appendingPathComponent("audit.db").path, signingKey: .generate(),
            // Count-based checkpoints out of the way: this measures the append alone.
            options: AuditStoreOptions(checkpointEveryEvents: 1_000_000, checkpointInterval: 3_600),
            logger: Logger(label: "benchmark")
        )
    } teardown: {
        await store?.close()
        store = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }
}
