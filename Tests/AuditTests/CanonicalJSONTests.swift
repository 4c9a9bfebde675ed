import Foundation
import Testing

@testable import Audit

@Suite struct CanonicalJSONTests {
    @Test func sortsKeysByUTF8BytesWithoutWhitespace() throws {
        let value: AuditValue = ["b": 1, "a": [true, nil, "x"], "aa": ["z": 0, "y": 1.5], "B": "upper", "é": 1, "\u{E000}": 2, "😀": 3]
        #expect(try value.canonicalJSON() == #"{"B":"upper","a":[true,null,"x"],"aa":{"y":1.5,"z":0},"b":1,"é":1,"\#u{E000}":2,"😀":3}"#)
    }

    @Test func escapesLikeJCS() throws {
        let text = "q\"b\\s/\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F}é\u{2028}漢😀"
        #expect(try AuditValue.string(text).canonicalJSON() == "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F}é\u{2028}漢😀\"")
    }

    @Test(arguments: [
        (0.1, "0.1"), (1.0, "1.0"), (-0.0, "-0.0"), (0.0, "0.0"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (123456789.125, "123456789.125"), (1e-5, "1e-05"), (0.0001, "0.0001"), (Double.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (2.5e-7, "2.5e-07"), (100.0, "100.0"), (-1.5e300, "-1.5e+300"),
        (9007199254740993.0, "9007199254740992.0"), (1234567890123456789.0, "1.2345678901234568e+18"),
    ])
    func doublesLikePythonRepr(value: Double, expected: String) throws {
        #expect(try AuditValue.double(value).canonicalJSON() == expected)
    }

    @Test func integers() throws {
        let value: AuditValue = [.int(0), .int(-1), .int(.max), .int(.min)]
        #expect(try value.canonicalJSON() == "[0,-1,9223372036854775807,-9223372036854775808]")
    }

    @Test func nonFiniteIsAnError() {
        #expect(throws: AuditError.self) { try AuditValue.double(.nan).canonicalJSON() }
        #expect(throws: AuditError.self) { try AuditValue.double(.infinity).canonicalJSON() }
    }

    static let fixtures: [AuditValue] = [
        ["kind": "exchange.request", "payload": ["findings": [["rule": "email", "offsets": [3, 17], "count": 2]], "bytes": 1234]],
        ["text": "line\nbreak \"quoted\" back\\slash tab\t ctrl\u{01}\u{1F} del\u{7F}", "unicode": "Grüße 漢字 😀 \u{2028}"],
        ["numbers": [0.1, 1.0, -0.0, 1e16, 1e15, 1e-5, 0.0001, .double(.leastNonzeroMagnitude), 1.7976931348623157e308, 2.5e-7, 3.14159, -2.0]],
        ["ints": [.int(.max), .int(.min), 0, -42], "nested": ["z": ["y": ["x": []]], "a": [:]], "empty": "", "null": nil],
        ["é": 1, "e": 2, "\u{E000}": 3, "😀": 4, "Z": 5, "a b": 6, "": 7],
    ]

    @Test func equalsPythonJSONDumps() throws {
        for fixture in Self.fixtures {
            let ours = try fixture.canonicalJSON()
            let script = """
                import json, sys
                data = sys.stdin.buffer.read().decode("utf-8")
                sys.stdout.buffer.write(json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
                """
            let result = try run(python, ["-c", script], stdin: ours)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == ours)
            // And our parser reads it back to the same value.
            #expect(try AuditValue(parsingJSON: ours) == fixture)
        }
    }

    @Test func pythonOutputParsesToTheSameCanonicalText() throws {
        // Python writes the fixture from its own literal; we parse and re-serialise it.
        let script = #"""
            import json
            obj = {"b": [1, 2.5, None, True], "a": {"é": "x\ny", "d": 1e16, "c": 1e-07}}
            print(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False), end="")
            """#
        let result = try run(python, ["-c", script])
        #expect(try AuditValue(parsingJSON: result.stdout).canonicalJSON() == result.stdout)
    }

    @Test func encodingAnEncodable() throws {
        struct Payload: Encodable {
            var name = "gpt-4o"
            var count = 3
            var ratio = 0.5
            var tags = ["a", "b"]
            var nested = ["k": true]
        }
        let value = try AuditValue(encoding: Payload())
        #expect(value["name"] == "gpt-4o")
        #expect(value["count"] == .int(3))
        #expect(value["ratio"] == .double(0.5))
        #expect(value["nested"]?["k"] == true)
        #expect(try value.canonicalJSON() == #"{"count":3,"name":"gpt-4o","nested":{"k":true},"ratio":0.5,"tags":["a","b"]}"#)
    }

    @Test func parserRejectsMalformedText() throws {
        for text in ["{", "[1,]", "{\"a\":1,\"a\":2}", "01", "\"\u{01}\"", "nul", "1 2"] {
            #expect(throws: AuditError.self) { try AuditValue(parsingJSON: text) }
        }
        #expect(try AuditValue(parsingJSON: #""\ud83d\ude00\u00e9""#) == "😀é")
    }

    @Test func timestampsAreRFC3339Milliseconds() {
        let date = Date(timeIntervalSince1970: 1_795_457_045.123_9)
        #expect(AuditTimestamp.format(date) == "2026-11-23T18:04:05.123Z")
        #expect(AuditTimestamp.parse("2026-11-23T18:04:05.123Z") == AuditTimestamp.truncated(date))
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
        #expect(AuditTimestamp.parse("2026-02-30T00:00:00.000Z") == nil)
    }

    @Test func eventHashFormula() throws {
        let event = try AuditEvent.make(seq: 1, id: "00000000-0000-0000-0000-000000000001", draft: draft(1, time: Date(timeIntervalSince1970: 0)), prevHash: AuditHash.genesis)
        #expect(event.canonical.hasPrefix(#"{"exchange":"x-1","id":"00000000-0000-0000-0000-000000000001","kind":"exchange.request","payload":{"#))
        #expect(event.canonical.hasSuffix(#""policy_hash":null,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","principal":"unix:alice(1001)@build-7","seq":1,"session":"s-1","time":"1970-01-01T00:00:00.000Z"}"#))
        let script = """
            import hashlib, json, sys
            ev = json.loads(sys.stdin.read())
            h = ev.pop("hash")
            c = json.dumps(ev, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert hashlib.sha256(bytes.fromhex(ev["prev_hash"]) + c.encode()).hexdigest() == h
            print("ok", end="")
            """
        let result = try run(python, ["-c", script], stdin: event.jsonLine)
        #expect(result.stdout == "ok", "\(result.stderr)")
        let back = try AuditEvent(jsonLine: event.jsonLine)
        #expect(back == event)
    }
}
