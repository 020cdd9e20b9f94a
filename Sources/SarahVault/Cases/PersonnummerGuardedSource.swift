/// A source that scans plaintext for personnummer as it is read (routine 2.3: the person's name
/// and personnummer must not be on the report). Only text is scanned — a document whose first
/// chunk holds a NUL byte is taken as binary (a scan, a PDF) — so random bytes are not mistaken
/// for numbers. A find stops the archive with a clear error unless it was allowed, in which
/// case the write's audit entry says so.
final class PersonnummerGuardedSource: ChunkSource {
    private let inner: any ChunkSource
    private let allow: Bool
    private var scanner = PersonnummerScanner()
    private var isText: Bool?
    private(set) var found = false

    init(_ inner: any ChunkSource, allow: Bool) {
        self.inner = inner
        self.allow = allow
    }

    var size: Int64 { inner.size }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(VaultError) -> Int {
        let n = try inner.fill(buffer)
        let filled = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        if isText == nil { isText = !filled.contains(0) }
        guard isText == true else { return n }
        scanner.scan(filled)
        if n < buffer.count { scanner.finish() }
        if scanner.found {
            found = true
            if !allow {
                throw VaultError(
                    .invalidInput, "the document contains what looks like a personnummer: nothing was archived",
                    hints: [
                        "a lex Sarah report must not name the person (routine 2.3); remove it,",
                        "or archive with --allow-personnummer if it must stay (that is logged)",
                    ])
            }
        }
        return n
    }
}
