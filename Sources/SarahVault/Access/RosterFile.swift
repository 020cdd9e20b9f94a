/// The roster file that `member import` reads (see `keys.example`).
///
/// One person a line, four fields separated by `|`: name, role, unit (`-` for none), public
/// key. Blank lines and lines starting with `#` are ignored. Every line is checked before
/// anything is enrolled, and an error names its line.
enum RosterFile {
    struct Entry {
        var line: Int
        var member: Member
        var key: PublicKey
    }

    static let maxBytes = 1 << 20

    static func parse(_ text: String) throws(VaultError) -> [Entry] {
        guard text.utf8.count <= maxBytes else {
            throw VaultError(.invalidInput, "the roster file is too large (over 1 MiB)")
        }
        var entries: [Entry] = []
        var seen: Set<String> = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = i + 1
            let line = String(raw).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map {
                String($0).trimmingWhitespace()
            }
            guard fields.count == 4 else {
                throw VaultError(
                    .invalidInput,
                    "roster line \(lineNo): expected 4 fields 'name | role | unit | key', found \(fields.count)")
            }
            let role: Role
            let key: PublicKey
            do {
                role = try Role(parsing: fields[1])
                key = try PublicKey(token: fields[3])
                try Roster.validateText(fields[0], what: "a name")
                if fields[2] != "-" { try Roster.validateText(fields[2], what: "a unit") }
            } catch {
                throw VaultError(error.code, "roster line \(lineNo): \(error.message)", hints: error.hints)
            }
            guard seen.insert(key.keyID).inserted else {
                throw VaultError(.invalidInput, "roster line \(lineNo): key \(key.keyID) appears twice")
            }
            let unit = fields[2] == "-" ? nil : fields[2]
            entries.append(
                Entry(
                    line: lineNo,
                    member: Member(name: fields[0], role: role, unit: unit, keyID: key.keyID, publicKey: key.token),
                    key: key))
        }
        guard !entries.isEmpty else { throw VaultError(.invalidInput, "the roster file names no one") }
        return entries
    }
}
