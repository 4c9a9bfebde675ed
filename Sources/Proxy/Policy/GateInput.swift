import Foundation
import Identity

/// What the proxy knows of one request when the policy decides it. Text fields are masked
/// already: the policy, like the provider, never sees a value a masking rule matched.
struct GateInput: Sendable {
    var session: String
    var exchange: String
    var principal: Principal?
    /// The uid's account name, for `unix_users` and self-approval checks.
    var unixUser: String?
    var uid: UInt32?
    var provider: String?
    var host: String
    var method: String
    /// The path with the record rules applied (a query can carry a key).
    var path: String
    /// The masked request body as far as it was read (at most the inspect limit).
    var body: [UInt8]
    /// The body's size: read whole, or announced by Content-Length; nil when unknown yet.
    var bodyBytes: Int?
    /// Whether `body` is the whole body.
    var bodyInspected: Bool
    var contentType: String?
    /// Entity types the request masker found, with counts.
    var entities: [String: Int]
}

/// The gate's answer, ready for the exchange handler.
enum GateVerdict: Sendable {
    /// Send the request on; `note` goes to the record (`allow`, `grant:ID`, `approved:ID`).
    case proceed(note: String)
    /// Answer the client with this error; nothing goes upstream.
    case refuse(ProviderErrorBody, note: String)
}
