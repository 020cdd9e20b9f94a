/// Scans a byte stream for personnummer and samordningsnummer, chunk by chunk, with constant
/// memory. A number split across chunks is found — also when the cut falls inside a character
/// (a UTF-8 sequence, a UTF-16 code unit, a surrogate pair): the scanner carries its state
/// from one `scan` call to the next. The text is folded as `Personnummer` describes (digits of
/// every script, every dash, no invisible characters) before it is matched.
///
/// ```swift
/// var scanner = PersonnummerScanner(encoding: .utf16LittleEndian)
/// while let chunk = try reader.next() { chunk.withUnsafeBytes { scanner.scan($0) } }
/// scanner.finish()
/// if scanner.found { … }
/// ```
///
/// A number is only confirmed once the character after it has been seen, so a number at the
/// very end of the stream is reported by `finish()`: `found` is final only after `finish()`.
/// `found` never turns false again, so a caller may stop early once it is true.
public struct PersonnummerScanner: Sendable {
    /// How the stream's bytes are read as text.
    public enum Encoding: Sendable, Equatable {
        /// UTF-8; bytes that do not decode are boundaries, so an ASCII-compatible 8-bit
        /// encoding (Latin-1, Windows-1252) is scanned for its ASCII digits and signs.
        case utf8
        case utf16LittleEndian
        case utf16BigEndian
    }

    private var text: PersonnummerText
    /// Whether the stream has ended (`finish()` was called).
    public private(set) var isFinished = false

    public init(encoding: Encoding = .utf8) {
        text = PersonnummerText(encoding)
    }

    /// How the stream is read.
    public var encoding: Encoding { text.encoding }

    /// Numbers found so far.
    public var count: Int { text.count }

    /// Byte offset (from the start of the stream) of the first number found, if any — for a
    /// log line that says where without repeating the number.
    public var firstOffset: Int? { text.firstOffset }

    /// True once at least one number has been found.
    public var found: Bool { count > 0 }

    /// Bytes scanned so far.
    public var bytesScanned: Int { text.position }

    /// Scans the next chunk of the stream. (Scanning after `finish()` starts a new stream whose
    /// first byte is a boundary; the counts carry on.)
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        isFinished = false
        text.feed(bytes)
    }

    /// Scans the next chunk of the stream.
    public mutating func scan(_ bytes: some Sequence<UInt8>) {
        isFinished = false
        text.feed(bytes)
    }

    /// Ends the stream, deciding a number that runs up to its last byte. Idempotent.
    public mutating func finish() {
        guard !isFinished else { return }
        isFinished = true
        text.finish()
    }

    // MARK: - Which documents are text

    /// How a document that begins with `prefix` (its first 64 KiB are looked at) is to be
    /// scanned, or nil when it is not text the scanner can read:
    ///
    /// - a UTF-16 byte-order mark (`FF FE` little-endian, `FE FF` big-endian) says UTF-16
    ///   (but `FF FE 00 00` is UTF-32, which is not read);
    /// - no NUL byte at all: UTF-8 (or an 8-bit encoding);
    /// - NUL bytes nearly all at odd offsets (UTF-16LE: the high byte of Latin text is 0) or
    ///   nearly all at even offsets (UTF-16BE), and what that decodes to is text — at most 1 in
    ///   20 code units a control character, an unpaired surrogate, a private-use or unassigned
    ///   code point: UTF-16 without a mark;
    /// - anything else (NULs at both parities: a .docx, a .pdf, an image, a recording) is
    ///   binary and is not scanned.
    public static func textEncoding(of prefix: UnsafeRawBufferPointer) -> Encoding? {
        let head = UnsafeRawBufferPointer(rebasing: prefix[0..<min(prefix.count, 1 << 16)])
        if head.count >= 2 {
            switch (head[0], head[1]) {
            case (0xFF, 0xFE):
                if head.count >= 4, head[2] == 0, head[3] == 0 { return nil }
                return .utf16LittleEndian
            case (0xFE, 0xFF):
                return .utf16BigEndian
            default:
                break
            }
        }
        var zeros = (even: 0, odd: 0)
        for (i, byte) in head.enumerated() where byte == 0 {
            if i & 1 == 0 { zeros.even += 1 } else { zeros.odd += 1 }
        }
        if zeros.even == 0 && zeros.odd == 0 { return .utf8 }
        let encoding: Encoding
        if zeros.odd > 0 && zeros.even * 32 <= zeros.odd {
            encoding = .utf16LittleEndian
        } else if zeros.even > 0 && zeros.odd * 32 <= zeros.even {
            encoding = .utf16BigEndian
        } else {
            return nil
        }
        return looksLikeText(head, encoding) ? encoding : nil
    }

    /// Whether `bytes`, read as UTF-16 in `encoding`, is text: at most 1 code unit in 20 that
    /// no text holds.
    static func looksLikeText(_ bytes: UnsafeRawBufferPointer, _ encoding: Encoding) -> Bool {
        let units = bytes.count / 2
        guard units > 0 else { return false }
        var bad = 0
        var high = false
        for i in 0..<units {
            let a = UInt16(bytes[2 * i])
            let b = UInt16(bytes[2 * i + 1])
            let unit = encoding == .utf16LittleEndian ? a | b << 8 : a << 8 | b
            switch unit {
            case 0xD800...0xDBFF:
                if high { bad += 1 }
                high = true
                continue
            case 0xDC00...0xDFFF:
                if !high { bad += 1 }
            case 0x09, 0x0A, 0x0C, 0x0D:
                if high { bad += 1 }
            default:
                if high { bad += 1 }
                if let scalar = Unicode.Scalar(unit) {
                    switch scalar.properties.generalCategory {
                    case .control, .privateUse, .unassigned, .surrogate: bad += 1
                    default: break
                    }
                }
            }
            high = false
        }
        return bad * 20 <= units
    }
}
