/// PEM private key blocks: `-----BEGIN [LABEL ]PRIVATE KEY-----` … `-----END [LABEL ]PRIVATE KEY-----`.
///
/// A key block has no useful length bound (an 8192-bit RSA key is over 6 KiB, an
/// encrypted PKCS#8 key longer), so the detector matches only the begin marker. Its
/// ``blockTerminator`` switches the masker into a swallowing mode: the placeholder is
/// emitted once, every byte up to and including the end marker is dropped, and the hold-
/// back stays at the marker's length. A stream that ends inside the block emits nothing
/// of it. Labels are up to three upper-case words (`RSA`, `EC`, `OPENSSH`, `ENCRYPTED`,
/// `DSA`, `PGP`); PGP's `… PRIVATE KEY BLOCK-----` is included.
struct PrivateKeyDetector: ByteDetector {
    /// Whether this instance matches the end marker instead of the begin marker.
    let isTerminator: Bool
    let maximumLength = 84
    let lookahead = 0

    /// Creates the begin-marker detector.
    init() {
        self.isTerminator = false
    }

    private init(terminator: Void) {
        self.isTerminator = true
    }

    /// The detector for the end marker, used while swallowing.
    static let terminator = PrivateKeyDetector(terminator: ())

    var blockTerminator: (any ByteDetector)? {
        isTerminator ? nil : Self.terminator
    }

    func canStart(with byte: UInt8) -> Bool {
        byte == ASCII.dash
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        second == ASCII.dash
    }

    func isBlocked(after byte: UInt8) -> Bool {
        false
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        var index = position
        if isTerminator {
            guard window.matches("-----END ", at: index) else { return nil }
            index += 9
        } else {
            guard window.matches("-----BEGIN ", at: index) else { return nil }
            index += 11
        }
        var words = 0
        while !window.matches("PRIVATE KEY", at: index) {
            let length = window.run(from: index, limit: 17) { ASCII.isUpper($0) || ASCII.isDigit($0) }
            guard length > 0, length <= 16, words < 3, window.byte(at: index + length) == ASCII.space else { return nil }
            index += length + 1
            words += 1
        }
        index += 11
        if window.matches(" BLOCK", at: index) { index += 6 }
        guard window.matches("-----", at: index) else { return nil }
        return index + 5 - position
    }
}
