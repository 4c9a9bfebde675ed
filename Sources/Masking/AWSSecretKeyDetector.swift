/// AWS secret access keys: 40 characters of `[A-Za-z0-9/+]` assigned to a key such as
/// `aws_secret_access_key`, `AWS_SECRET_KEY`, `SecretAccessKey` or `aws_secret`.
///
/// Forty base64 characters alone are indistinguishable from hashes and ids, so the key
/// word is required (read from the left context, no hold-back).
struct AWSSecretKeyDetector: ByteDetector {
    let maximumLength = 40
    let lookahead = 2
    let context = KeywordContext(keywords: [
        .init("secret_access_key"), .init("secretaccesskey"), .init("aws_secret_key"),
        .init("awssecretkey"), .init("aws_secret"),
    ])

    var leftContext: Int { context.reach }

    func canStart(with byte: UInt8) -> Bool {
        ASCII.isBase64(byte)
    }

    func isBlocked(after byte: UInt8) -> Bool {
        !KeywordContext.isValueDelimiter(byte)
    }

    func isBlocked(after previous: UInt8, preceded beforePrevious: UInt8) -> Bool {
        KeywordContext.rulesOut(previous: previous, beforePrevious: beforePrevious)
    }

    func match(at position: Int, in window: inout ScanWindow) -> Int? {
        guard context.precedes(position, in: &window),
            window.run(from: position, limit: 41, ASCII.isBase64) == 40
        else { return nil }
        if let next = window.byte(at: position + 40), next == 0x3D || next >= 0x80 || next == ASCII.underscore {
            return nil
        }
        return 40
    }
}
