/// Placeholders written where a secret goes: what documentation, templates and sample
/// configuration put after `api_key=` or `password:` instead of a real value.
///
/// The generic-secret detector rejects a value of any of these shapes:
/// - a run of six or more of one character (`xxxxxxxxxxxxxxxx`, `Q8Lz3Nw1000000Xv7K`);
/// - three or more asterisks in a row, a masked display (`********`, `sk-Ab3d****Xy9Z`);
/// - an environment reference as the whole value (`$DB_PASSWORD`, `%API_KEY%`), its
///   name in one letter case;
/// - placeholder words, ignoring case: the word `your` (`YOUR_API_KEY_HERE`,
///   `yourToken`), `here` as the last of three or more words
///   (`API_KEY_GOES_HERE`), or, in the letters with `_`, `-` and `.` between them dropped,
///   `changeme`, `replaceme`, `example`, `placeholder` or `dummy` (`CHANGE_ME`,
///   `Replace-Me`, `EXAMPLE_TOKEN`).
///
/// Templates need no rule: `<`, `{` and `}` are not value characters, so `<your-password>`,
/// `{{ secret }}` and `${API_KEY}` never make a value of sixteen characters. Words are
/// maximal runs of letters, split before an upper-case letter that follows a lower-case
/// one (`yourApiKey`).
///
/// Generated secrets practically never take these shapes (a random base62 value of 40
/// characters holds a six-character run with odds of about one in 26 million);
/// a human-chosen password that does (`MyExamplePass1!`) is left unmasked, the price of
/// not masking every README.
enum SecretPlaceholder {
    /// The longest run of one character a secret may hold.
    static let maximumRun = 5
    /// The longest run of `*` a secret may hold.
    static let maximumAsterisks = 2
    /// Words that mark a placeholder wherever they occur in the letters.
    static let terms: [[UInt8]] = ["changeme", "replaceme", "example", "placeholder", "dummy"].map { Array($0.utf8) }
    private static let your = Array("your".utf8)
    private static let here = Array("here".utf8)

    /// Whether `value` is a placeholder rather than a secret.
    ///
    /// - Parameters:
    ///   - value: The value after the key word, as the detector read it.
    static func matches(_ value: [UInt8]) -> Bool {
        hasFillerRun(value) || isEnvironmentReference(value) || hasPlaceholderWords(value)
    }

    /// Whether one character repeats more than ``maximumRun`` times in a row, or `*` more
    /// than ``maximumAsterisks`` times.
    static func hasFillerRun(_ value: [UInt8]) -> Bool {
        var run = 0
        var previous: UInt8 = 0
        for byte in value {
            run = byte == previous ? run + 1 : 1
            previous = byte
            if run > maximumRun || (byte == 0x2A && run > maximumAsterisks) { return true }
        }
        return false
    }

    /// Whether the whole value is `$NAME` or `%NAME%` (shell or Windows environment), the
    /// name an identifier whose letters share one case (`$DB_PASSWORD`, `$db_password`;
    /// not `$ecr3tXk9mQ2v`, a password that starts with `$`).
    static func isEnvironmentReference(_ value: [UInt8]) -> Bool {
        guard let first = value.first else { return false }
        let name: ArraySlice<UInt8>
        if first == 0x24 {
            name = value.dropFirst()
        } else if first == 0x25, value.count > 2, value.last == 0x25 {
            name = value.dropFirst().dropLast()
        } else {
            return false
        }
        guard let head = name.first, ASCII.isAlpha(head) || head == ASCII.underscore,
            name.allSatisfy({ ASCII.isAlnum($0) || $0 == ASCII.underscore })
        else { return false }
        return !name.contains(where: ASCII.isUpper) || !name.contains(where: ASCII.isLower)
    }

    /// Whether the value's words or letters hold a placeholder word.
    static func hasPlaceholderWords(_ value: [UInt8]) -> Bool {
        let words = words(of: value)
        if words.contains(your) { return true }
        if words.count >= 3, words.last == here { return true }
        return letterRuns(of: value).contains { run in terms.contains { run.contains($0) } }
    }

    /// The words of `value`, lower-cased: maximal runs of letters, split before an
    /// upper-case letter that follows a lower-case one.
    static func words(of value: [UInt8]) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        var previous: UInt8 = 0
        for byte in value {
            if ASCII.isAlpha(byte) {
                if ASCII.isUpper(byte) && ASCII.isLower(previous) && !word.isEmpty {
                    words.append(word)
                    word = []
                }
                word.append(ASCII.lowercased(byte))
            } else if !word.isEmpty {
                words.append(word)
                word = []
            }
            previous = byte
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// The letters of `value`, lower-cased, in runs that `_`, `-` and `.` do not break and
    /// every other non-letter does: `CHANGE_ME-2` gives `changeme`.
    static func letterRuns(of value: [UInt8]) -> [[UInt8]] {
        var runs: [[UInt8]] = []
        var run: [UInt8] = []
        for byte in value {
            if ASCII.isAlpha(byte) {
                run.append(ASCII.lowercased(byte))
            } else if byte != ASCII.underscore && byte != ASCII.dash && byte != ASCII.dot, !run.isEmpty {
                runs.append(run)
                run = []
            }
        }
        if !run.isEmpty { runs.append(run) }
        return runs
    }
}

