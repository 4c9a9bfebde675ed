import Foundation
import Testing
import Identity

/// Expects `body` to throw a `TokenError` with `code` and a message containing each of `fragments`.
func expectTokenError(
    _ code: TokenError.Code,
    messageContains fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> some Any
) async {
    do {
        _ = try await body()
        Issue.record("expected TokenError.\(code), got success", sourceLocation: sourceLocation)
    } catch let error as TokenError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message '\(error.message)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected TokenError.\(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Runs blocking work (a blocking socket client) on its own thread, so it never holds one of
/// the few cooperative threads the server under test needs.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

/// A clock a test moves by hand.
final class ManualClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    func advance(by seconds: TimeInterval) {
        self.offset.withLock { $0 += seconds }
    }

    var now: Date { Date().addingTimeInterval(self.offset.withLock { $0 }) }
}

import Synchronization
