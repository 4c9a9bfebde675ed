import Foundation

/// Signed payloads of `audit.checkpoint` and `audit.tombstone` events.
///
/// The signature is Ed25519 over the canonical JSON of the payload without its `signature`
/// member, base64-encoded. For a checkpoint that is `{"covers_hash","covers_seq","key_id","signed_at"}`;
/// for a tombstone `{"anchor_hash","before","count","key_id","pruned_through_seq","signed_at"}`.
enum AuditSignedPayload {
    /// Adds `key_id`, `signed_at` and `signature` to `fields`.
    static func sign(_ fields: [String: AuditValue], with key: AuditSigningKey, at time: Date) throws(AuditError)
        -> AuditValue
    {
        var members = fields
        members["key_id"] = .string(key.keyID)
        members["signed_at"] = .string(AuditTimestamp.format(time))
        let message = try AuditValue.object(members).canonicalJSON()
        members["signature"] = .string(try key.signature(for: message).base64EncodedString())
        return .object(members)
    }

    /// The text a payload's signature covers, or `nil` when it has no signature.
    static func signedMessage(_ payload: AuditValue) -> (message: String, signature: Data)? {
        guard var members = payload.objectValue,
            let signatureText = members.removeValue(forKey: "signature")?.stringValue,
            let signature = Data(base64Encoded: signatureText),
            let message = try? AuditValue.object(members).canonicalJSON()
        else { return nil }
        return (message, signature)
    }

    /// Whether `payload` carries a valid signature by `key` and names that key's id.
    static func isValid(_ payload: AuditValue, key: AuditPublicKey) -> Bool {
        guard payload["key_id"]?.stringValue == key.keyID, let signed = signedMessage(payload) else { return false }
        return key.isValidSignature(signed.signature, for: signed.message)
    }
}
