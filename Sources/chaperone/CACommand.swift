import ArgumentParser
import Foundation
import Proxy

/// `chaperone ca`: create, import and show the organisation's interception CA.
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Create, import or show the organisation's interception CA.",
        discussion: """
            Clients trust this CA; the daemon signs a short-lived leaf with it for each intercepted \
            host. The key file is written 0600 and should belong to the daemon's user (--owner). It \
            never leaves the CA directory.
            """,
        subcommands: [Init.self, Import.self, Show.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new P-256 CA (CA:TRUE, pathlen 0, keyCertSign and cRLSign).")

        @Option(help: ArgumentHelp("Directory to write ca.pem and ca.key into (created 0700).", valueName: "dir"))
        var dir: String

        @Option(help: "The CA's subject common name.")
        var commonName = "Chaperone Interception CA"

        @Option(help: "The CA's subject organisation.")
        var organization = "Chaperone"

        @Option(help: ArgumentHelp("Give the files to this user (the daemon's), e.g. chaperone.", valueName: "user"))
        var owner: String?

        @Flag(help: "Replace an existing CA. Every client that trusts the old one stops working.")
        var force = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let owner = try resolveOwner(owner)
            let authority = try OrgCertificateAuthority.generate(commonName: commonName, organization: organization)
            try authority.write(to: URL(fileURLWithPath: dir), overwrite: force, owner: owner)
            try CACommand.report(authority, directory: dir, json: json, verb: "created")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an existing CA certificate and key (PEM) into the CA directory.")

        @Option(help: ArgumentHelp("PEM certificate of the CA.", valueName: "file"))
        var cert: String

        @Option(help: ArgumentHelp("PEM private key of the CA (P-256, P-384, P-521 or RSA).", valueName: "file"))
        var key: String

        @Option(help: ArgumentHelp("The CA directory to import into.", valueName: "dir"))
        var dir: String

        @Option(help: ArgumentHelp("Give the files to this user (the daemon's).", valueName: "user"))
        var owner: String?

        @Flag(help: "Replace a CA already in the directory.")
        var force = false

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() throws {
            let owner = try resolveOwner(owner)
            let authority = try OrgCertificateAuthority.load(
                certificate: URL(fileURLWithPath: cert), key: URL(fileURLWithPath: key))
            try authority.write(to: URL(fileURLWithPath: dir), overwrite: force, owner: owner)
            try CACommand.report(authority, directory: dir, json: json, verb: "imported")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the CA in force: subject, validity, fingerprint.")

        @Option(help: ArgumentHelp("The CA directory (default: the one the configuration names).", valueName: "dir"))
        var dir: String?

        @OptionGroup var config: ConfigOption

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Flag(help: "Print the CA certificate in PEM (to install it into a trust store).")
        var pem = false

        func run() throws {
            let directory = try dir ?? config.load().effectiveCADirectory.path
            let authority = try OrgCertificateAuthority.load(from: URL(fileURLWithPath: directory))
            if pem {
                print(try authority.certificatePEM())
                return
            }
            try CACommand.report(authority, directory: directory, json: json, verb: nil)
        }
    }

    struct Summary: Encodable {
        let directory: String
        let certificate: String
        let subject: String
        let notBefore: Date
        let notAfter: Date
        let sha256Fingerprint: String
        enum CodingKeys: String, CodingKey {
            case directory, certificate, subject
            case notBefore = "not_before"
            case notAfter = "not_after"
            case sha256Fingerprint = "sha256_fingerprint"
        }
    }

    static func report(_ authority: OrgCertificateAuthority, directory: String, json: Bool, verb: String?) throws {
        let summary = Summary(
            directory: directory,
            certificate: (directory as NSString).appendingPathComponent(OrgCertificateAuthority.certificateFileName),
            subject: "\(authority.certificate.subject)", notBefore: authority.certificate.notValidBefore,
            notAfter: authority.certificate.notValidAfter, sha256Fingerprint: try authority.fingerprintSHA256())
        if json {
            try printJSON(summary)
            return
        }
        if let verb { print("CA \(verb) in \(directory)") }
        print("subject:     \(summary.subject)")
        print("valid:       \(summary.notBefore) to \(summary.notAfter)")
        print("sha256:      \(summary.sha256Fingerprint)")
        print("certificate: \(summary.certificate)  (install this into clients' trust stores)")
    }
}

/// The uid and gid of `name`, or nil when no owner was asked for.
func resolveOwner(_ name: String?) throws -> (uid: UInt32, gid: UInt32)? {
    guard let name else { return nil }
    guard let entry = getpwnam(name) else {
        throw ValidationError("no user named '\(name)'; create it first (useradd --system chaperone)")
    }
    return (entry.pointee.pw_uid, entry.pointee.pw_gid)
}
