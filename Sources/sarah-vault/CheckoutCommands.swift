import ArgumentParser
import Foundation
import SarahVault

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a case home as an encrypted package only your identity opens.",
        discussion: """
            The package holds the case's documents (all, or those named with --doc), encrypted to \
            your key; a finder learns only that it is a SarahVault package. The vault records \
            what is out, with whom and until when ('sarah-vault checkouts'). Open it at home with \
            'sarah-vault open', bring edits back with 'sarah-vault checkin'.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Option(help: ArgumentHelp("The package file to write (never overwrites).", valueName: "path")) var out: String
    @Option(help: "A document's name or number (repeatable; default: all).") var doc: [String] = []
    @Option(help: "How long it may stay out: 30s, 90m, 8h, 3d (default 8h, a working day).") var expires: String?

    func run() throws {
        let duration =
            try expires.map { (e) throws(VaultError) in try CheckoutDuration.parse(e) } ?? CheckoutDuration.default
        let m = try global.openVault().checkout(caseID: caseID, documents: doc, expiresIn: duration, to: out)
        if global.json {
            Output.json([
                "id": m.id, "case": m.case, "holder": m.holder, "expires": Vault.isoTime(m.expires), "package": out,
            ])
        } else {
            Output.line("checked out case \(m.case) as \(out): \(m.documents.count) document(s), checkout \(m.id)")
            Output.line(
                "it opens only with your identity, until \(Vault.isoTime(m.expires)); return it with 'sarah-vault checkin \(out)'"
            )
        }
    }
}

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open a checkout package with your identity (no vault needed).",
        discussion: """
            Writes the documents into a directory (created with mode 0700), each under its name \
            made safe and unique: two documents named rapport.txt become rapport.txt and \
            rapport (2).txt, and 'checkin' of either brings it back as its own document. Refuses after the \
            package's expiry — which a clock set back can fool: expiry is a reminder, the key is \
            the protection (see docs/SECURITY.md). Any change to the package makes it fail, and \
            then nothing is written.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The package file.") var package: String
    @Option(help: ArgumentHelp("Where to write the documents (default: ./<case>-checkout).", valueName: "dir")) var out:
        String?

    func run() throws {
        let identity = try global.loadIdentity()
        let peek = try Vault.inspectPackage(at: package, identity: identity)
        let dir =
            out ?? "./" + peek.case.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "_")
            + "-checkout"
        let m = try Vault.openPackage(at: package, identity: identity, into: dir)
        if global.json {
            Output.json(m)
        } else {
            let title = m.title.map { " — " + TerminalText.escaped($0) } ?? ""
            Output.line("case \(m.case)\(title): \(m.documents.count) document(s) in \(dir)")
            // The files as written: two documents of one name are `NAME` and `NAME (2)`.
            for (d, file) in zip(m.documents, Vault.checkoutFileNames(m)) {
                Output.line("  \(TerminalText.escaped(file))  v\(d.version)  \(d.size) bytes")
            }
            Output.line(
                "valid until \(Vault.isoTime(m.expires)); bring edits back with 'sarah-vault checkin \(package) FILE…'")
        }
    }
}

struct Checkin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Return a checkout: the files given come back as new versions, signed by you. Once per package.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The package file.") var package: String
    @Argument(help: "Edited or new documents to bring back (a file with a document's name becomes its next version).")
    var files: [String] = []
    @Flag(help: "Bring back documents even if they seem to contain a personnummer (logged).") var allowPersonnummer =
        false

    func run() throws {
        let r = try global.openVault().checkin(package: package, files: files, allowPersonnummer: allowPersonnummer)
        if global.json {
            Output.json(r)
        } else {
            Output.line("checked in: case \(r.case)")
            for d in r.documents {
                Output.line("  document \(d.id)  v\(d.version)  \(d.size) bytes  \(TerminalText.escaped(d.name))")
            }
        }
    }
}

struct Checkouts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What is out of the archive, with whom, since and until when.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only packages past their expiry and not returned.") var overdue = false

    func run() throws {
        let list = try global.openVault().checkouts(overdueOnly: overdue)
        if global.json {
            Output.json(list)
        } else if list.isEmpty {
            Output.line(overdue ? "nothing overdue" : "nothing is checked out")
        } else {
            Table.print(
                ["CHECKOUT", "CASE", "HOLDER", "ISSUED", "EXPIRES", "DOCS", "STATUS"],
                list.map { c in
                    [
                        c.id, c.case, c.holderName.map { "\($0) (\(c.holder))" } ?? c.holder,
                        c.issued, c.expires, String(c.documents), c.overdue ? "OVERDUE" : c.status,
                    ]
                })
        }
    }
}

struct Lost: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a lost package (or, with --member, a lost laptop) and handle it in one step.",
        discussion: """
            Marks the package(s) lost, rotates the key of every affected case, and prints the \
            incident record: what was out, which cases and how many documents, when it was issued \
            and lost, and the 72-hour deadline for notifying IMY. Officers.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The checkout id (see 'sarah-vault checkouts').") var checkoutID: String?
    @Option(help: "Every package this member holds (a lost laptop): key id.") var member: String?
    @Option(help: ArgumentHelp("Also write the incident record (JSON) to this new file.", valueName: "path")) var out:
        String?

    func validate() throws {
        if (checkoutID == nil) == (member == nil) {
            throw ValidationError("give a checkout id or --member KEYID (one of them)")
        }
    }

    func run() throws {
        if let out, FileManager.default.fileExists(atPath: out) {
            throw VaultError(.alreadyExists, "\(out) already exists: refusing to overwrite it")
        }
        let r = try global.openVault().reportLost(checkout: checkoutID, member: member)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        if let out {
            guard let data = try? encoder.encode(r),
                (try? PrivateFile.create(out, contents: Array(data), what: "incident record")) != nil
            else {
                throw VaultError(.io, "the loss was recorded, but the incident record could not be written to \(out)")
            }
        }
        if global.json {
            Output.json(r)
            return
        }
        Output.line("INCIDENT RECORD — reported \(r.reported) by \(r.reportedBy)")
        for i in r.items {
            Output.line(
                "  lost: checkout \(i.checkout), case \(i.case), \(i.documents) document(s), holder \(i.holder), issued \(i.issued), due \(i.expires)"
            )
        }
        Output.line("  case keys rotated: \(r.casesRotated.joined(separator: ", "))")
        Output.line("  notify IMY (personal-data breach, GDPR art. 33) by: \(r.imyDeadline)")
        for n in r.notes { Output.line("  - \(n)") }
        if let out { Output.line("written to \(out)") }
    }
}
