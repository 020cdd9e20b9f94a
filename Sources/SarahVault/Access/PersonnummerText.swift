import Foundation

/// Decodes text (UTF-8, or UTF-16 in either byte order) and folds it for the personnummer
/// matcher, a byte at a time with constant state, so a stream can be fed in chunks cut
/// anywhere — inside a UTF-8 sequence, between the two bytes of a UTF-16 code unit or between
/// the halves of a surrogate pair.
///
/// Folding (see `Personnummer`): ASCII stays as it is; a decimal digit of any script (Nd)
/// becomes its ASCII digit; a dash (Pd) or U+2212 becomes `-`; a space separator (Zs) a space;
/// a format character (Cf: zero-width spaces and joiners, U+FEFF, soft hyphen, bidi controls)
/// is dropped; anything else is replaced by its NFKC form, folded again, and what is not ASCII
/// after that is a boundary byte (0x80). Input that does not decode is a boundary too.
struct PersonnummerText: Sendable {
    typealias Encoding = PersonnummerScanner.Encoding

    /// What the matcher sees for a character that can be neither a digit nor a separator.
    static let boundary: UInt8 = 0x80

    let encoding: Encoding
    private let collectHits: Bool
    private var engine = Personnummer.Engine()
    /// Source bytes consumed so far.
    private(set) var position = 0
    private(set) var count = 0
    private(set) var firstOffset: Int?
    /// Every hit, in order (only with `collectHits`; for strings).
    private(set) var hits: [Personnummer.Engine.Hit] = []

    // An incomplete UTF-8 sequence: its scalar bits so far, the continuation bytes it still
    // needs, its smallest legal value (to refuse overlong forms) and where it started.
    private var pending: UInt32 = 0
    private var pendingNeed = 0
    private var pendingMinimum: UInt32 = 0
    private var pendingStart = 0
    // UTF-16: the first byte of a code unit, and a high surrogate waiting for its partner.
    private var firstByte: UInt8?
    private var highSurrogate: UInt16?
    private var highStart = 0

    /// Folded forms of the non-ASCII characters met so far that needed NFKC (bounded).
    private var folded: [UInt32: [UInt8]] = [:]
    private static let foldedLimit = 4096

    init(_ encoding: Encoding, collectHits: Bool = false) {
        self.encoding = encoding
        self.collectHits = collectHits
    }

    mutating func feed(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { feed(byte) }
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { feed(byte) }
    }

    @inline(__always)
    mutating func feed(_ byte: UInt8) {
        let at = position
        position += 1
        switch encoding {
        case .utf8:
            if pendingNeed == 0 && byte < 0x80 {
                match(byte, start: at, end: at + 1)
            } else {
                utf8(byte, at: at)
            }
        case .utf16LittleEndian, .utf16BigEndian:
            guard let first = firstByte else {
                firstByte = byte
                return
            }
            firstByte = nil
            let unit =
                encoding == .utf16LittleEndian
                ? UInt16(first) | UInt16(byte) << 8 : UInt16(first) << 8 | UInt16(byte)
            utf16(unit, at: at - 1)
        }
    }

    /// Ends the input: an incomplete character is a boundary, and a number running up to the
    /// last byte is decided.
    mutating func finish() {
        if pendingNeed > 0 {
            pendingNeed = 0
            match(Self.boundary, start: pendingStart, end: position)
        }
        if highSurrogate != nil {
            highSurrogate = nil
            match(Self.boundary, start: highStart, end: highStart + 2)
        }
        if firstByte != nil {
            firstByte = nil
            match(Self.boundary, start: position - 1, end: position)
        }
        if let hit = engine.finish() { record(hit) }
    }

    // MARK: - Decoding

    private mutating func utf8(_ byte: UInt8, at: Int) {
        if pendingNeed > 0 {
            if byte & 0xC0 == 0x80 {
                pending = pending << 6 | UInt32(byte & 0x3F)
                pendingNeed -= 1
                if pendingNeed == 0 {
                    let value = pending
                    if value >= pendingMinimum, let scalar = Unicode.Scalar(value) {
                        character(scalar, start: pendingStart, end: at + 1)
                    } else {
                        match(Self.boundary, start: pendingStart, end: at + 1)
                    }
                }
                return
            }
            // Cut short: what came so far is one undecodable character; this byte starts anew.
            pendingNeed = 0
            match(Self.boundary, start: pendingStart, end: at)
            if byte < 0x80 {
                match(byte, start: at, end: at + 1)
                return
            }
        }
        pendingStart = at
        switch byte {
        case 0xC2...0xDF: (pending, pendingNeed, pendingMinimum) = (UInt32(byte & 0x1F), 1, 0x80)
        case 0xE0...0xEF: (pending, pendingNeed, pendingMinimum) = (UInt32(byte & 0x0F), 2, 0x800)
        case 0xF0...0xF4: (pending, pendingNeed, pendingMinimum) = (UInt32(byte & 0x07), 3, 0x10000)
        default: match(Self.boundary, start: at, end: at + 1)  // a stray continuation, C0, C1, F5–FF
        }
    }

    private mutating func utf16(_ unit: UInt16, at: Int) {
        if let high = highSurrogate {
            highSurrogate = nil
            if (0xDC00...0xDFFF).contains(unit) {
                let value = 0x10000 + (UInt32(high - 0xD800) << 10 | UInt32(unit - 0xDC00))
                if let scalar = Unicode.Scalar(value) {
                    character(scalar, start: highStart, end: at + 2)
                } else {
                    match(Self.boundary, start: highStart, end: at + 2)
                }
                return
            }
            match(Self.boundary, start: highStart, end: highStart + 2)
        }
        switch unit {
        case 0xD800...0xDBFF:
            highSurrogate = unit
            highStart = at
        case 0xDC00...0xDFFF:
            match(Self.boundary, start: at, end: at + 2)
        default:
            if unit < 0x80 {
                match(UInt8(unit), start: at, end: at + 2)
            } else if let scalar = Unicode.Scalar(unit) {
                character(scalar, start: at, end: at + 2)
            }
        }
    }

    // MARK: - Folding

    private mutating func character(_ scalar: Unicode.Scalar, start: Int, end: Int) {
        if scalar.isASCII {
            match(UInt8(scalar.value), start: start, end: end)
            return
        }
        if let byte = Self.foldByCategory(scalar) {
            if byte != Self.dropped { match(byte, start: start, end: end) }
            return
        }
        let bytes: [UInt8]
        if let known = folded[scalar.value] {
            bytes = known
        } else {
            bytes = Self.foldByCompatibility(scalar)
            if folded.count < Self.foldedLimit { folded[scalar.value] = bytes }
        }
        for byte in bytes { match(byte, start: start, end: end) }
    }

    /// Marks a character folded away (Cf).
    private static let dropped: UInt8 = 0

    /// The fold of a non-ASCII scalar that its General Category decides, or nil when NFKC must.
    static func foldByCategory(_ scalar: Unicode.Scalar) -> UInt8? {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .format:
            return dropped
        case .decimalNumber:
            guard let value = properties.numericValue, value >= 0, value <= 9 else { return boundary }
            return 0x30 + UInt8(value)
        case .dashPunctuation:
            return UInt8(ascii: "-")
        case .spaceSeparator:
            return UInt8(ascii: " ")
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .control, .surrogate, .privateUse, .unassigned,
            .lineSeparator, .paragraphSeparator:
            // Letters and marks fold (NFKC) to letters, marks and spaces — never to a digit, a
            // dash or a plus sign — so they are boundaries without asking; so is the rest here.
            return boundary
        default:
            return scalar.value == 0x2212 ? UInt8(ascii: "-") : nil
        }
    }

    /// The NFKC form of one scalar, each of its scalars folded by category; what is not ASCII
    /// after that is a boundary.
    static func foldByCompatibility(_ scalar: Unicode.Scalar) -> [UInt8] {
        let normal = String(Character(scalar)).precomposedStringWithCompatibilityMapping
        var out: [UInt8] = []
        for s in normal.unicodeScalars {
            if s.isASCII {
                out.append(UInt8(s.value))
            } else if s == scalar {
                out.append(boundary)
            } else if let byte = foldByCategory(s) {
                if byte != dropped { out.append(byte) }
            } else {
                out.append(s.value == 0x2212 ? UInt8(ascii: "-") : boundary)
            }
        }
        return out
    }

    // MARK: - Matching

    @inline(__always)
    private mutating func match(_ byte: UInt8, start: Int, end: Int) {
        if let hit = engine.feed(byte, start: start, end: end) { record(hit) }
    }

    private mutating func record(_ hit: Personnummer.Engine.Hit) {
        if firstOffset == nil { firstOffset = hit.start }
        count += 1
        if collectHits { hits.append(hit) }
    }
}
