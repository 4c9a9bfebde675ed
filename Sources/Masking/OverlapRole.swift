/// How a built-in detector's match competes with another rule's match that starts at the
/// same position.
///
/// The longest match wins, with one exception: a broad heuristic does not swallow a
/// credential. The e-mail detector's local part and the generic secret's value are wide
/// character classes, so at `https://ghp_…@github.com/org/repo.git` they match the GitHub
/// token *and* what follows it (`@github.com`, `/org/repo.git`). When a credential format
/// matches at the same start, the credential is reported instead, with its own entity,
/// and the rest is scanned as ordinary text: the host of the URL stays readable.
enum OverlapRole: Sendable {
    /// Longest match wins (ties: priority, then file order).
    case ordinary
    /// A complete token of a fixed, validated format (prefix, structure, checksum); wins
    /// over a longer ``broad`` match that starts at the same position.
    case credential
    /// A heuristic whose character class can run through a credential and past its end;
    /// yields to a ``credential`` match that starts at the same position.
    case broad
}
