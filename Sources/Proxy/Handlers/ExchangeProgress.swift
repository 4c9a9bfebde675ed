import Foundation
import NIOCore
import NIOHTTP1

/// The bookkeeping of one exchange: where each direction stands, sizes and times.
struct ExchangeProgress {
    /// `SESSION.N`: the session id and the exchange's number in it; audit events cite it.
    let id: String
    let head: HTTPRequestHead
    let start: NIODeadline
    /// Wall-clock time of the request head, for the record.
    let startedAt = Date()
    var isUpgrade = false
    var upgraded = false
    var requestEnded = false
    var responseHeadSent = false
    var responseEnded = false
    var closeAfterResponse = false
    var status: Int?
    var requestBytes = 0
    var responseBytes = 0
    var firstByte: NIODeadline?
    var error: String?
    /// Masks the request body on its way upstream; nil when the body is not text we mask.
    var requestMasking: BodyMaskingStream?
    /// Masks the response body on its way to the client.
    var responseMasking: BodyMaskingStream?
    /// Decodes a gzip, deflate or br request body before it is masked; nil for an identity body
    /// or one that is not masked (those pass as they came).
    var requestDecoder: BodyDecoder?
    /// Decodes a compressed response body before it is masked.
    var responseDecoder: BodyDecoder?
    /// What the maskers found: request, response, and the record-only pass over the request.
    var findings = FindingTally()
    /// What the record-only pass found in the response body (kept apart so the request's
    /// event never carries the response's findings).
    var responseRecordFindings = FindingTally()
    /// The masked request body as the audit log keeps it; nil when it is not text we mask or
    /// there is no audit log.
    var requestCapture: BodyCapture?
    /// The masked response body (or its chunks, for a stream) as the audit log keeps it.
    var responseCapture: BodyCapture?
    /// Whether the response is an event stream (kept as timed chunks).
    var responseIsStream = false
    var responseContentType: String?
    /// Whether `exchange.request` was written.
    var requestRecorded = false
    /// What the policy decided (`allow`, `grant:ID`, `deny`, …), for the log line.
    var decision: String?

    init(id: String, head: HTTPRequestHead, start: NIODeadline) {
        self.id = id
        self.head = head
        self.start = start
    }

    /// Milliseconds since the request head.
    var elapsedMilliseconds: Double { Double((NIODeadline.now() - start).nanoseconds) / 1e6 }

    /// Both directions are finished.
    var isComplete: Bool { requestEnded && responseEnded }

    mutating func markFirstByte() {
        if firstByte == nil { firstByte = .now() }
    }

    /// Copies this exchange's facts into `record`.
    func fill(_ record: inout ExchangeRecord) {
        record.time = startedAt
        record.method = head.method.rawValue
        record.path = head.uri
        record.status = status
        record.requestBytes = requestBytes
        record.responseBytes = responseBytes
        let now = NIODeadline.now()
        record.durationMilliseconds = Double((now - start).nanoseconds) / 1e6
        record.timeToFirstByteMilliseconds = firstByte.map { Double(($0 - start).nanoseconds) / 1e6 }
        record.error = error
        record.findings = findings.entries + responseRecordFindings.entries
    }
}
