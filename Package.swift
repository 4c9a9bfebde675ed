// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

/// What OIDC token verification needs: an HTTPS client for discovery and keys, RS256 and ES256.
let tokenVerification: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
    .product(name: "Crypto", package: "swift-crypto"),
    .product(name: "_CryptoExtras", package: "swift-crypto"),
]

let package = Package(
    name: "chaperone",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "chaperone", targets: ["chaperone"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "Masking",
            dependencies: [
                // Only for HMAC-SHA256 (the `hash` action and keyed pseudonyms).
                .product(name: "Crypto", package: "swift-crypto")
            ],
            // The masker sits on every byte of every body. Unoptimised it runs some 500 times
            // slower, which makes a debug daemon (the one the end-to-end tests drive) time out on
            // large bodies; it is always compiled optimised.
            swiftSettings: strictSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .systemLibrary(
            name: "CNetfilter",
            pkgConfig: "libmnl",
            providers: [.apt(["libmnl-dev", "libnetfilter-queue-dev"])]
        ),
        // zlib (gzip, deflate) and the brotli decoder (br): compressed bodies are decoded before
        // they are masked. Both headers live in /usr/include, so no pkg-config name is needed.
        .systemLibrary(
            name: "CCompression",
            providers: [.apt(["zlib1g-dev", "libbrotli-dev"])]
        ),
        .target(
            name: "Interception",
            dependencies: [
                "CNetfilter",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Drives the DNS snooper and the rule installer on their own for the namespace tests
        // (Tests/InterceptionTests/netns).
        .executableTarget(
            name: "dns-snoop-check",
            dependencies: [
                "Interception",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Identity",
            dependencies: [
                "CNetfilter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ] + tokenVerification,
            swiftSettings: strictSettings
        ),
        .target(
            name: "Policy",
            dependencies: [
                // Yams' node API gives every value its line and column for diagnostics.
                .product(name: "Yams", package: "Yams"),
                // Only for SHA-256 (the policy hash each audit event carries).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Audit",
            dependencies: [
                // The store: SQLite in WAL mode (Debian's libsqlite3-dev).
                .product(name: "GRDB", package: "GRDB.swift"),
                // SHA-256 for the chain, Ed25519 for the checkpoints.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AuditForwarding",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Proxy",
            dependencies: [
                "Audit",
                "AuditForwarding",
                "CCompression",
                "Identity",
                "Interception",
                "Masking",
                "Policy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "chaperone",
            dependencies: [
                "Audit",
                "AuditForwarding",
                "Policy",
                "Proxy",
                "Identity",
                "Interception",
                "Masking",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "PolicyTests", dependencies: ["Policy"], swiftSettings: strictSettings),
        .testTarget(
            name: "AuditTests",
            dependencies: [
                "Audit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AuditForwardingTests",
            dependencies: [
                "AuditForwarding",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IdentityTests",
            dependencies: [
                "Identity",
                .product(name: "Logging", package: "swift-log"),
            ] + tokenVerification,
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MaskingTests",
            dependencies: ["Masking"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "InterceptionTests",
            dependencies: ["Interception"],
            exclude: ["netns"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            exclude: ["ClientHello/capture"],
            swiftSettings: strictSettings
        ),
    ]
)

// Micro benchmarks (package-benchmark, Benchmarks/README.md): added only when CHAPERONE_BENCHMARKS
// is set, so the default `swift build` / `swift test` of every clean clone neither resolves nor
// builds the benchmark package. They live in this package because the libraries they measure use
// `package` access. Run them with `make bench-micro`.
if Context.environment["CHAPERONE_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    let benchmarkSuites: [(name: String, dependencies: [Target.Dependency])] = [
        ("MaskingThroughput", ["Masking"]),
        ("DataPath", ["Proxy", "Policy", "Audit", .product(name: "Logging", package: "swift-log")]),
    ]
    package.targets.append(
        contentsOf: benchmarkSuites.map { suite in
            .executableTarget(
                name: suite.name,
                dependencies: suite.dependencies + [.product(name: "Benchmark", package: "benchmark")],
                path: "Benchmarks/\(suite.name)",
                swiftSettings: strictSettings,
                plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
            )
        }
    )
}
