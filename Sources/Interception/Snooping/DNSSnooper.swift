import Foundation
public import Logging

/// Reads DNS answers from an NFQUEUE on a thread of its own and keeps the provider ipsets filled.
///
/// For each queued packet: ``DNSPacketHandler`` decides; the addresses it reports are added to
/// `chaperone-llm4`/`chaperone-llm6` (before the verdict, so no client connects to an address
/// that is not yet redirected); then the packet is accepted, rewritten when HTTPS/SVCB records
/// were stripped. Every packet is accepted, malformed ones included (and counted): the snooper
/// never breaks name resolution. With `--queue-bypass` on the rule, DNS keeps working when the
/// snooper is not running.
public final class DNSSnooper: @unchecked Sendable {
    // @unchecked: `statistics` is guarded by `lock`; `thread`, `queue` and `wake` are set in
    // start() before the thread runs and read by it, and stop() joins before touching them.

    /// Counters since start, for `status` and metrics.
    public struct Statistics: Sendable, Equatable, Codable {
        public var packets = 0
        public var notDNS = 0
        public var malformed = 0
        public var partialTCP = 0
        public var notIntercepted = 0
        public var intercepted = 0
        public var addressesAdded = 0
        public var ipsetFailures = 0
        public var rewrites = 0
        public var serviceBindingsRemoved = 0
        public var serviceBindingsKept = 0
        public var verdictFailures = 0

        public init() {}

        mutating func record(_ decision: DNSPacketHandler.Decision) {
            packets += 1
            switch decision.outcome {
            case .notDNS: notDNS += 1
            case .malformed: malformed += 1
            case .partialTCP: partialTCP += 1
            case .notIntercepted: notIntercepted += 1
            case .intercepted: intercepted += 1
            }
            if decision.replacement != nil { rewrites += 1 }
            serviceBindingsRemoved += decision.removedServiceBindings
            serviceBindingsKept += decision.keptServiceBindings
        }
    }

    public let handler: DNSPacketHandler
    public let queueNumber: UInt16
    private let writer: any IPSetWriting
    private let logger: Logger
    private let failOpen: Bool
    private let lock = NSLock()
    private var counters = Statistics()
    private var queue: NFQueue?
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - handler: What to learn from answers.
    ///   - queueNumber: The NFQUEUE the `CHAPERONE-DNS` rules send answers to.
    ///   - writer: Where addresses go (``IPSetNetlinkWriter`` in production).
    ///   - failOpen: Ask the kernel to accept instead of drop when the queue overflows.
    public init(
        handler: DNSPacketHandler, queueNumber: UInt16 = 0, writer: any IPSetWriting, failOpen: Bool = true,
        logger: Logger
    ) {
        self.handler = handler
        self.queueNumber = queueNumber
        self.writer = writer
        self.failOpen = failOpen
        self.logger = logger
    }

    deinit {
        if wake.read >= 0 { close(wake.read) }
        if wake.write >= 0 { close(wake.write) }
    }

    public var statistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return counters
    }

    /// Binds the queue and starts the receive loop on its own thread.
    ///
    /// - Throws: ``InterceptionError`` when the queue cannot be bound (not root, or taken).
    public func start() throws(InterceptionError) {
        precondition(thread == nil, "DNSSnooper.start() called twice")
        queue = try NFQueue(number: queueNumber, failOpen: failOpen)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw InterceptionError.netlink("cannot create the snooper's wake pipe", errno: errno) }
        wake = (fds[0], fds[1])
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "chaperone-dns-snooper"
        self.thread = thread
        thread.start()
        logger.info("DNS snooper listening", metadata: ["queue": "\(queueNumber)"])
    }

    /// Ends the loop, unbinds the queue and waits for the thread. Safe to call more than once.
    public func stop() {
        guard thread != nil, wake.write >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        finished.wait()
        thread = nil
        queue = nil
        close(wake.write)
        wake.write = -1
        logger.info("DNS snooper stopped", metadata: ["queue": "\(queueNumber)"])
    }

    /// Handles one packet: decide, add addresses, and return the decision for the verdict.
    /// Exposed for tests that feed packets without a kernel.
    public func process(packet: [UInt8]) -> DNSPacketHandler.Decision {
        let decision = handler.handle(packet: packet)
        var added = 0
        var failed = 0
        if !decision.additions.isEmpty {
            do {
                try writer.add(decision.additions)
                added = decision.additions.count
            } catch {
                failed = 1
                logger.error("cannot add provider addresses to the ipset", metadata: ["error": "\(error.message)"])
            }
        }
        lock.lock()
        counters.record(decision)
        counters.addressesAdded += added
        counters.ipsetFailures += failed
        lock.unlock()
        return decision
    }

    private func run() {
        guard let queue else { return }
        var descriptors = [
            pollfd(fd: queue.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("DNS snooper poll failed", metadata: ["errno": "\(errno)"])
                return
            }
            if descriptors[1].revents != 0 { return }
            guard descriptors[0].revents != 0 else { continue }
            let packets: [NFQueue.Packet]
            do {
                packets = try queue.receive()
            } catch {
                // ENOBUFS and the like: the kernel dropped or bypassed some packets; go on.
                logger.warning("NFQUEUE receive failed", metadata: ["error": "\(error.message)"])
                continue
            }
            for packet in packets {
                let decision = process(packet: packet.bytes)
                do {
                    try queue.accept(packet.id, replacement: decision.replacement)
                } catch {
                    lock.lock()
                    counters.verdictFailures += 1
                    lock.unlock()
                    logger.warning("NFQUEUE verdict failed", metadata: ["error": "\(error.message)"])
                }
            }
        }
    }
}
