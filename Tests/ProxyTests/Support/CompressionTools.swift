import Foundation

/// Compresses test bodies with independent, real implementations: Debian's `gzip` and `brotli`
/// commands and Python's `zlib` module (a zlib-wrapped and a raw deflate stream).
enum CompressionTools {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let brotliPath = "/usr/bin/brotli"
    /// Whether the `brotli` command (Debian package `brotli`) is installed.
    static var hasBrotli: Bool { FileManager.default.isExecutableFile(atPath: brotliPath) }

    static func gzip(_ data: [UInt8]) throws -> [UInt8] { try run("/usr/bin/gzip", ["-c", "-n"], input: data) }

    static func brotli(_ data: [UInt8]) throws -> [UInt8] { try run(brotliPath, ["-c"], input: data) }

    /// A zlib stream (RFC 1950), as `Content-Encoding: deflate` is specified.
    static func zlib(_ data: [UInt8]) throws -> [UInt8] {
        try run(
            "/usr/bin/python3",
            ["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 6))"],
            input: data
        )
    }

    /// A raw deflate stream (RFC 1951, no wrapper), as some servers send for `deflate`.
    static func rawDeflate(_ data: [UInt8]) throws -> [UInt8] {
        try run(
            "/usr/bin/python3",
            [
                "-c",
                "import sys, zlib; c = zlib.compressobj(6, zlib.DEFLATED, -15); sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())",
            ],
            input: data
        )
    }

    /// Runs `tool` with `input` on standard input (from a file: no pipe deadlock) and returns its output.
    static func run(_ tool: String, _ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        let inputURL = directory.url.appendingPathComponent("input")
        let outputURL = directory.url.appendingPathComponent("output")
        try Data(input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)"
            )
        }
        return Array(try Data(contentsOf: outputURL))
    }
}
