// dns-snoop-check: runs the DNSSnooper on an NFQUEUE until SIGINT/SIGTERM, then prints its
// statistics as JSON. The namespace tests (Tests/InterceptionTests/netns) drive it.
//
//   dns-snoop-check [--queue N] [--min-timeout S] [--max-timeout S] [--no-strip] HOST_PATTERN...
//   dns-snoop-check --measure-ipset N ADDRESS   (times N netlink adds of ADDRESS, prints µs/add)
//   dns-snoop-check rules install PORT USER [--queue N] [--no-terminate] HOST...
//   dns-snoop-check rules uninstall | rules status PORT   (status prints JSON)
import Foundation
import Interception
import Logging

var arguments = Array(CommandLine.arguments.dropFirst())

if arguments.first == "rules" {
    exit(rulesCommand(Array(arguments.dropFirst())))
}
var queue: UInt16 = 0
var minimumTimeout: UInt32 = 60
var maximumTimeout: UInt32 = 86_400
var strip = true
var patterns: [String] = []
var measure: Int?

while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    let takesValue = ["--queue", "--min-timeout", "--max-timeout", "--measure-ipset"].contains(argument)
    if takesValue && arguments.isEmpty {
        FileHandle.standardError.write(Data("\(argument) needs a value\n".utf8))
        exit(2)
    }
    switch argument {
    case "--queue": queue = UInt16(arguments.removeFirst()) ?? 0
    case "--min-timeout": minimumTimeout = UInt32(arguments.removeFirst()) ?? 60
    case "--max-timeout": maximumTimeout = UInt32(arguments.removeFirst()) ?? 86_400
    case "--no-strip": strip = false
    case "--measure-ipset": measure = Int(arguments.removeFirst())
    default: patterns.append(argument)
    }
}

LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "dns-snoop-check")
logger.logLevel = .info

do {
    let writer = try IPSetNetlinkWriter()
    if let count = measure {
        guard let text = patterns.first, let address = IPAddress(text: text) else {
            FileHandle.standardError.write(Data("--measure-ipset needs an address\n".utf8))
            exit(2)
        }
        let entry = IPSetEntry(address: address, timeout: 600)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count { try writer.add([entry]) }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
        print(String(format: "%.1f", elapsed / Double(count)))
        exit(0)
    }
    let catalog = ProviderCatalog(providers: [
        Provider(name: "test", wireFormat: .openai, hosts: patterns.map(HostPattern.init))
    ])
    let handler = DNSPacketHandler(
        catalog: catalog, minimumTimeout: minimumTimeout, maximumTimeout: maximumTimeout,
        stripServiceBindings: strip)
    let snooper = DNSSnooper(handler: handler, queueNumber: queue, writer: writer, logger: logger)
    try snooper.start()
    // Readiness line for the test harness.
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let done = DispatchSemaphore(value: 0)
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { done.signal() }
        source.resume()
        sources.append(source)
    }
    done.wait()
    snooper.stop()
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(snooper.statistics), as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("dns-snoop-check: \(error)\n".utf8))
    exit(1)
}

/// `rules install|uninstall|status`: drives RuleInstaller the way `chaperone rules` does.
func rulesCommand(_ arguments: [String]) -> Int32 {
    var logger = Logger(label: "rules")
    logger.logLevel = .info
    let installer = RuleInstaller(logger: logger)
    var rest = arguments.dropFirst()
    do {
        switch arguments.first {
        case "install":
            guard rest.count >= 2, let port = Int(rest.removeFirst()) else { return 2 }
            let user = rest.removeFirst()
            var queue: UInt16? = 0
            var terminate = true
            var hosts: [String] = []
            while let argument = rest.popFirst() {
                switch argument {
                case "--queue": queue = rest.popFirst().flatMap { UInt16($0) }
                case "--no-terminate": terminate = false
                default: hosts.append(argument)
                }
            }
            let sets = try installer.install(
                hosts: hosts, daemonPort: port, exemptUser: user, queueNumber: queue, terminateEstablished: terminate)
            for set in sets { print("\(set.family.rawValue): \(set.addresses.joined(separator: ","))") }
        case "refresh":
            let entries = try AddressRefresher(writer: IPSetNetlinkWriter()).refresh(hosts: Array(rest))
            for entry in entries { print(entry.restoreLine) }
        case "uninstall":
            try installer.uninstall()
        case "status":
            guard let port = rest.first.flatMap({ Int($0) }) else { return 2 }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let status = try installer.status(daemonPort: port)
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        default:
            return 2
        }
        return 0
    } catch {
        FileHandle.standardError.write(Data("rules: \(error)\n".utf8))
        return 1
    }
}
