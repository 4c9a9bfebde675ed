import Foundation

/// A throwaway CA and a server certificate for 127.0.0.1, made with the `openssl` command (a
/// second implementation judging what NIOSSL accepts), once per test run.
struct TestPKI: Sendable {
    var directory: String
    var caPath: String { self.directory + "/ca.pem" }
    var certificatePath: String { self.directory + "/server.pem" }
    var keyPath: String { self.directory + "/server.key" }

    static let shared: TestPKI = {
        do {
            return try TestPKI.make()
        } catch {
            fatalError("cannot make the test PKI with openssl: \(error)")
        }
    }()

    private static func make() throws -> TestPKI {
        let directory = NSTemporaryDirectory() + "chaperone-tokens-pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        subjectAltName=IP:127.0.0.1,DNS:localhost
        extendedKeyUsage=serverAuth
        basicConstraints=critical,CA:FALSE
        keyUsage=critical,digitalSignature
        """.write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Chaperone Test Issuer CA",
            "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ], in: directory)
        try run([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
        ], in: directory)
        try run([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        ], in: directory)
        return TestPKI(directory: directory)
    }

    private static func run(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PKIError(message: "openssl \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    struct PKIError: Error {
        var message: String
    }
}
