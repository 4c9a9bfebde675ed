extension ClientHelloError {
    /// The kind of a ``ClientHelloError``.
    ///
    /// A struct rather than an enum so that codes can be added without breaking exhaustive
    /// `switch`es in callers (the swift-certificates convention).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case notTLS, notHandshake, notClientHello, malformed, tooLarge, unsupportedVersion
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// The first byte is not a TLS record header (HTTP, HTTP/2 preface, SSH, zeros, …).
        public static let notTLS = Code(.notTLS)
        /// A TLS record of a content type other than handshake (22) came first.
        public static let notHandshake = Code(.notHandshake)
        /// The first handshake message is not a ClientHello (type 1).
        public static let notClientHello = Code(.notClientHello)
        /// A record header, length field or ClientHello field is invalid.
        public static let malformed = Code(.malformed)
        /// The ClientHello needs more bytes than the parser's `maximumSize`.
        public static let tooLarge = Code(.tooLarge)
        /// An SSLv2(-compatible) hello or a protocol major version other than 3.
        public static let unsupportedVersion = Code(.unsupportedVersion)

        public var description: String {
            String(describing: kind)
        }
    }
}
