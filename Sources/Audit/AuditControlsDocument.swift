/// The text of `CONTROLS.md` in an evidence export.
enum AuditControlsDocument {
    static func make(summary: AuditExportSummary, tableFiles: [String]) -> String {
        let table = { (name: String) in tableFiles.first { $0.hasPrefix(name + ".") } ?? name }
        return """
            # Chaperone audit evidence

            Period: \(AuditTimestamp.format(summary.from)) to \(AuditTimestamp.format(summary.to)) (UTC).
            Chain segment: seq \(summary.firstSeq) to \(summary.lastSeq), ending in a checkpoint signed with
            Ed25519 key `\(summary.keyID)`.

            Chaperone intercepts this host's traffic to LLM providers, attributes every connection to a
            local user and process, applies policy (allow, deny, hold for approval, time-bound grants),
            masks personal data and secrets, and records every step in a hash-chained, signed log.

            ## Artefacts and controls

            | artefact | what it shows | ISO/IEC 27001:2022 Annex A | ISO/IEC 27001:2013 |
            |---|---|---|---|
            | `events.jsonl` | every recorded event of the period, hash-chained, ending in a signed checkpoint | 8.15 Logging, 8.16 Monitoring activities | A.12.4.1, A.12.4.2, A.12.4.3 |
            | `\(table("sessions"))` | who (user, process) connected to which provider, when, how much | 5.15 Access control, 5.18 Access rights, 8.16 Monitoring activities | A.9.2, A.12.4.1 |
            | `\(table("exchanges"))` | each request and response to a provider: model, status, bytes, findings | 5.19 Information security in supplier relationships, 5.20 Addressing security within supplier agreements, 5.21 Managing security in the ICT supply chain, 5.22 Monitoring of supplier services, 8.16 | A.15.1, A.13.2 |
            | `\(table("findings"))` | personal data and secrets detected, and what was done (masked, blocked) | 8.11 Data masking, 8.12 Data leakage prevention | A.13.2 |
            | `\(table("approvals"))` | requests held for approval and the decision | 8.2 Privileged access rights, 5.18 Access rights | A.9.2 |
            | `\(table("grants"))` | time-bound grants created, expired, revoked | 5.18 Access rights, 8.2 Privileged access rights | A.9.2 |
            | `\(table("policy_snapshots"))` | the policy in force (events reference it by `policy_hash`) | 5.15 Access control, 8.12 Data leakage prevention | A.9.2, A.13.2 |
            | `\(table("checkpoints"))` | signed checkpoints and prune tombstones | 8.15 Logging (protection of log information) | A.12.4.2 |
            | `public-key.pem`, `manifest.json` | the verification key and the hash of every file | 8.15 Logging | A.12.4.2 |

            ## How to verify this package by hand

            Pin the public key: compare `public-key.pem` with the key your organisation received out of
            band (`openssl pkey -pubin -in public-key.pem -text`). Whoever could edit this package could
            also replace that file, so a key taken from the package proves nothing on its own.

            1. File hashes: `sha256sum *` must print, for every file except `manifest.json`, the value
               listed under `"files"` in `manifest.json`, and no file may be missing or extra.
            2. The chain: every line of `events.jsonl` is an event plus its `"hash"`. Remove `"hash"`,
               write the rest as compact JSON with sorted keys, and
               `hash = SHA-256(bytes.fromhex(prev_hash) + canonical_utf8)`. Each event's `prev_hash` is
               the previous event's `hash`. Lines before seq `first_seq` are the policy snapshots the
               period refers to. The segment ends in an `audit.checkpoint` whose signed payload
               commits to the hash of the event before it, and through the chain to every event of
               the segment. This script (Python 3, standard library, run inside this directory)
               does steps 1 and 2 and writes the checkpoint's signed message and signature:

            ```python
            import base64, hashlib, json, os
            manifest = json.load(open("manifest.json", encoding="utf-8"))
            for name, digest in manifest["files"].items():
                assert hashlib.sha256(open(name, "rb").read()).hexdigest() == digest, "modified: " + name
            extra = set(os.listdir(".")) - set(manifest["files"]) - {"manifest.json", "msg.bin", "sig.bin"}
            assert not extra, "unexpected files: %s" % sorted(extra)
            first, prev, last = manifest["first_seq"], None, None
            for line in open("events.jsonl", encoding="utf-8"):
                ev = json.loads(line)
                digest = ev.pop("hash")
                canonical = json.dumps(ev, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                computed = hashlib.sha256(bytes.fromhex(ev["prev_hash"]) + canonical.encode("utf-8")).hexdigest()
                assert computed == digest, "seq %d changed" % ev["seq"]
                if ev["seq"] < first:
                    continue  # a policy snapshot referenced by the period
                if last is not None:
                    assert ev["seq"] == last["seq"] + 1, "seq %d missing" % (last["seq"] + 1)
                    assert ev["prev_hash"] == prev, "chain broken before seq %d" % ev["seq"]
                prev, last = digest, ev
            cp = last["payload"]
            assert last["kind"] == "audit.checkpoint" and cp["covers_seq"] == last["seq"] - 1
            assert cp["covers_hash"] == last["prev_hash"]
            signed = {k: v for k, v in cp.items() if k != "signature"}
            message = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            open("msg.bin", "wb").write(message.encode("utf-8"))
            open("sig.bin", "wb").write(base64.b64decode(cp["signature"]))
            print("chain ok: seq %d..%d, signed by key %s" % (first, last["seq"], cp["key_id"]))
            ```

            3. The signature, with OpenSSL 3:

            ```sh
            openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -sigfile sig.bin -in msg.bin
            ```

               It must print `Signature Verified Successfully`. Any checkpoint in `\(table("checkpoints"))`
               can be checked the same way: its signed message is its payload without `signature`.

            `chaperone audit verify-export DIR --public-key KEY.pem` runs the same checks.
            """ + "\n"
    }
}
