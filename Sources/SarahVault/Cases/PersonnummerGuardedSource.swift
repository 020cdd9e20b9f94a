/// A source that scans plaintext for personnummer as it is read (routine 2.3: the person's name
/// and personnummer must not be on the report). Only text is scanned: the first chunk (64 KiB)
/// decides, by `PersonnummerScanner.textEncoding(of:)`, whether the document is UTF-8 (or an
/// 8-bit encoding), UTF-16 (with or without a byte-order mark) or binary — a scan, a PDF, a
/// .docx, whose text would have to be extracted first and is not — so random bytes are not
/// mistaken for numbers. The scan streams chunk by chunk with constant memory; a number cut
/// by a chunk boundary is found. A find stops the archive with a clear error unless it was
/// allowed, in which case the write's audit entry says so.
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
        if isText == nil {
            let encoding = PersonnummerScanner.textEncoding(of: filled)
            isText = encoding != nil
            if let encoding { scanner = PersonnummerScanner(encoding: encoding) }
        }
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
