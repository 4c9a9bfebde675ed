import Foundation

/// A CA and a server certificate for 127.0.0.1 and localhost, made with the `openssl` CLI.
struct TestCertificates {
    let caFile: String
    let certificateFile: String
    let keyFile: String

    init(in directory: URL, name: String) throws {
        func path(_ file: String) -> String { directory.appendingPathComponent("\(name)-\(file)").path }
        caFile = path("ca.pem")
        certificateFile = path("server.pem")
        keyFile = path("server.key")
        let extensions = path("ext.cnf")
        try """
            subjectAltName=DNS:localhost,IP:127.0.0.1
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth

            """.write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", caFile, "-days", "2", "-subj", "/CN=\(name) Test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", caFile, "-CAkey", path("ca.key"), "-CAcreateserial",
                     "-out", certificateFile, "-days", "2", "-extfile", extensions])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments) }
    }

    struct OpenSSLFailed: Error { var arguments: [String] }
}
