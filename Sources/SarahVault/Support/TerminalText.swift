/// Text from a vault or a package made safe to print on a terminal: a registrar's file name, a
/// title or a unit must not move the cursor, recolour or rewrite the lines around it (an
/// escape sequence could forge the "keys held by" line of `show`), nor reorder them (bidi
/// controls), nor hide what it is (invisible characters).
public enum TerminalText {
    /// `text` with every control character (Cc: C0, DEL, C1 — so also newline and tab), every
    /// format character (Cf: bidi controls, zero-width characters, the soft hyphen) and the
    /// line and paragraph separators (U+2028, U+2029) written as `\u{1B}`; the rest unchanged.
    /// JSON output needs none of this: the encoder escapes what JSON must.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if needsEscape(s) {
                out.append(contentsOf: "\\u{\(String(s.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(s)
            }
        }
        return String(out)
    }

    /// Whether `s` must not reach a terminal as it is.
    public static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x20 || (0x7F...0x9F).contains(s.value) { return true }
        if s.isASCII { return false }
        switch s.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// The bidi controls (ALM, LRM, RLM, the embeddings, overrides and isolates): they reorder
    /// what is shown around them, so no name may carry one.
    static func isBidiControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
