/// One piece of a stream masker's output, by input offsets: a run released unchanged or
/// a replacement. Bytes swallowed inside a key block appear in neither.
///
/// Framing adapters (JSON strings) mask decoded text but must write the original bytes
/// (escapes included) for everything that was not masked; segments give them the map.
enum StreamSegment: Hashable, Sendable {
    /// Input bytes released unchanged, as stream offsets.
    case clean(Range<Int>)
    /// A replacement: the next finding of the outputs, in order.
    case replaced
}
