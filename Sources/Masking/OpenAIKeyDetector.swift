/// OpenAI API keys.
///
/// Every OpenAI secret key carries the marker `T3BlbkFJ` (base64 of "OpenAI") between
/// two random parts: classic user keys `sk-` + 20 + `T3BlbkFJ` + 20 alphanumerics, and
/// project, service-account and admin keys `sk-proj-`, `sk-svcacct-`, `sk-admin-` with
/// 58 or 74 characters of `[A-Za-z0-9_-]` on each side (longer layouts appeared in
/// 2024). The detector accepts `sk-` + a body of 48–250 characters of `[A-Za-z0-9_-]`
/// in which the marker has at least 20 characters on each side; the marker makes a
/// false positive practically impossible, so the length bounds can stay generous.
/// Anthropic keys (`sk-ant-`) are left to their own detector.
struct OpenAIKeyDetector: ByteDetector {
    static let maximumBody = 250
    let maximumLength = 3 + Self.maximumBody
    let lookahead = 2
    private static let marker = Array("T3BlbkFJ".utf8)

    func canStart(with byte: UInt8) -> Bool {
        byte == 0x73
    }

    func canStart(with first: UInt8, followedBy second: UInt8) -> Bool {
        second == 0x6B
    }

    func isBlocked(after byte: UInt8) -> Bool {
        ASCII.isBase64URL(byte) || byte >= 0x80
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard window.matches("sk-", at: position), !window.matches("ant-", at: position + 3) else { return nil }
        let start = position + 3
        let count = window.run(from: start, limit: Self.maximumBody + 1, ASCII.isBase64URL)
        guard count >= 48, count <= Self.maximumBody else { return nil }
        var index = start + 20
        while index + Self.marker.count + 20 <= start + count {
            if window.byte(at: index) == Self.marker[0] && (1..<8).allSatisfy({ window.byte(at: index + $0) == Self.marker[$0] }) {
                return 3 + count
            }
            index += 1
        }
        return nil
    }
}
