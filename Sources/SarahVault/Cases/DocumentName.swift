import Foundation

/// Document names: what the vault accepts as a name, and the file names a checkout writes.
///
/// A document's name is the last component of the file it came from. The rules:
///
/// - **Accepted** (archive, add, checkin): 1 to 200 bytes of UTF-8; no control character (Cc),
///   no bidi control (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), no line or
///   paragraph separator, no `/`, not `.` or `..`, and no personnummer. One clear error,
///   nothing stored, otherwise.
/// - **200 bytes** because a checkout writes each document as `.NAME.partial-XXXXXXXX` (18
///   bytes more) before linking it into place, and a name may grow by ` (NN)` to be unique:
///   every file it writes stays under NAME_MAX (255).
/// - **The same name twice in a case is normal**: the registrar cannot see the names already
///   there (they are sealed to the case). The vault keeps both. A checkout writes the first
///   (in document order) under its name and each later one as `NAME (2).EXT`, `NAME (3).EXT`,
///   … (skipping names another document has); `checkin` of such a file brings it back as a
///   version of the document it came from, and `add` by someone who holds the case key
///   matches `NAME (2).EXT` in the same way.
/// - **Older vaults** may hold longer names, control characters or duplicates: a checkout
///   still opens — names are stripped of control, bidi and separator characters, cut at a
///   character boundary to fit (keeping a short extension), and made unique.
enum DocumentName {
    /// The longest name accepted, in bytes of UTF-8.
    static let maxBytes = 200
    /// The longest file name a checkout writes: NAME_MAX less the 18 bytes of `.` and
    /// `.partial-XXXXXXXX` around it while it is written.
    static let maxFileBytes = 255 - 18
    /// Room kept for ` (NN)`: at most 20 000 candidates (10 000 documents, 10 000 names to skip).
    private static let suffixRoom = 8

    /// Checks a name before anything is written.
    static func validate(_ name: String) throws(VaultError) {
        if Personnummer.containsPersonnummer(name) {
            throw VaultError(.invalidInput, "a document's file name must not contain a personnummer")
        }
        guard !name.isEmpty, name != ".", name != ".." else {
            throw VaultError(.invalidInput, "a document's file name must be 1 to \(maxBytes) bytes")
        }
        guard name.utf8.count <= maxBytes else {
            throw VaultError(
                .invalidInput,
                "the file name \(quoted(name)) is \(name.utf8.count) bytes: a document's name may be at most \(maxBytes)",
                hints: ["rename the file to a shorter name and try again (a checkout must be able to write it)"])
        }
        if let bad = name.unicodeScalars.first(where: isRefused) {
            let what = TerminalText.isBidiControl(bad) ? "a bidi control" : "a control character"
            throw VaultError(
                .invalidInput,
                "the file name \(quoted(name)) holds \(what) (U+\(hex(bad))): a document's name must not",
                hints: ["rename the file and try again"])
        }
    }

    static func isRefused(_ s: Unicode.Scalar) -> Bool {
        s == "/" || s.properties.generalCategory == .control || TerminalText.isBidiControl(s)
            || s.value == 0x2028 || s.value == 0x2029
    }

    private static func hex(_ s: Unicode.Scalar) -> String {
        let digits = String(s.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The start of a name for an error message, escaped for the terminal.
    private static func quoted(_ name: String) -> String {
        let head = String(name.prefix(40))
        return "'" + TerminalText.escaped(head) + (head.count < name.count ? "…" : "") + "'"
    }

    // MARK: - File names in a checkout

    /// The file names a checkout writes its documents under, in manifest order: each safe
    /// (`safeFileName`), short enough (`maxFileBytes`) and, ignoring case, unique.
    static func fileNames(_ documents: [CheckoutManifest.Document]) -> [String] {
        let bases = documents.map {
            fit(safeFileName($0.name, fallback: "document-\($0.doc)"), limit: maxFileBytes - suffixRoom)
        }
        return unique(bases, ignoringCase: true)
    }

    /// `names` with every repeat after the first renamed `NAME (k).EXT`, k = 2, 3, …, choosing
    /// the first k whose name is neither in `names` nor already given.
    static func unique(_ names: [String], ignoringCase: Bool) -> [String] {
        func key(_ s: String) -> String { ignoringCase ? s.lowercased() : s }
        let all = Set(names.map(key))
        var taken = Set<String>()
        var out: [String] = []
        out.reserveCapacity(names.count)
        for name in names {
            var chosen = name
            if taken.contains(key(name)) {
                var k = 2
                repeat {
                    chosen = numbered(name, k)
                    k += 1
                } while taken.contains(key(chosen)) || all.contains(key(chosen))
            }
            taken.insert(key(chosen))
            out.append(chosen)
        }
        return out
    }

    /// `report (2).txt` for `report.txt`; `README (2)` for `README`.
    static func numbered(_ name: String, _ k: Int) -> String {
        let (stem, ext) = split(name)
        return "\(stem) (\(k))\(ext)"
    }

    /// Cuts `name` to at most `limit` bytes at a character boundary, keeping its extension.
    static func fit(_ name: String, limit: Int) -> String {
        guard name.utf8.count > limit else { return name }
        let (stem, ext) = split(name)
        let room = limit - ext.utf8.count
        var cut = ""
        var bytes = 0
        for c in stem {
            let n = c.utf8.count
            guard bytes + n <= room else { break }
            cut.append(c)
            bytes += n
        }
        return cut + ext
    }

    /// A name's stem and its extension (with the dot), when it has a short one.
    private static func split(_ name: String) -> (Substring, Substring) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex,
            name.utf8[dot...].count <= 16
        else { return (Substring(name), "") }
        return (name[..<dot], name[dot...])
    }

    /// A file name that stays inside the output directory: the last `/` component, without
    /// control, bidi or separator characters, and never hidden, `.` or `..` (those become
    /// `document-N-…`).
    static func safeFileName(_ name: String, fallback: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? ""
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: base.unicodeScalars.filter { !isRefused($0) })
        let cleaned = String(scalars)
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." || cleaned.hasPrefix(".")
            ? fallback + (cleaned.isEmpty ? "" : "-" + cleaned.replacingOccurrences(of: ".", with: "_")) : cleaned
    }
}
