/// One open text stream of an SSE response: its masker and the event to copy when its
/// held-back tail must be flushed in an event of its own.
struct SSETextStream: Sendable {
    let key: SSEStreamKey
    var masker: StreamMasker
    /// The raw bytes of the stream's last delta event, the template of a flush event.
    var template: [UInt8]
}
