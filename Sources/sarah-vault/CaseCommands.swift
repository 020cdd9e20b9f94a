import ArgumentParser
import Foundation
import SarahVault

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Archive files into a case, encrypted (the case is created if new).",
        discussion: """
            The case gets its own key, sealed to the officers, the unit's managers and the \
            investigators — not to you, if you are the registrar. The title and unit are stored \
            encrypted; the diarienummer and dates stay readable for the registry.

            Each document is named after its file: at most 200 bytes, no control or bidi \
            characters, no personnummer. Text files (UTF-8, UTF-16) are scanned for \
            personnummer; .docx, .pdf and other binary files are not (docs/SECURITY.md).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The files to archive.") var files: [String]
    @Option(help: "The case's diarienummer, e.g. 'ASN 2021/0026'.") var diarienummer: String
    @Option(help: "The unit the case concerns (stored encrypted).") var unit: String
    @Option(help: "The date the report was received, YYYY-MM-DD.") var received: String
    @Option(help: "The subject line (stored encrypted; no personnummer).") var title: String?
    @Option(help: "report, investigation, decision, ivo-notification or other.") var kind: String = "report"
    @Option(help: ArgumentHelp("An investigator who receives the case key (key id; repeatable).", valueName: "keyid"))
    var investigator: [String] = []
    @Flag(help: "Archive even if a document seems to contain a personnummer (logged).") var allowPersonnummer = false

    func run() throws {
        let kind = try DocumentKind(parsing: kind)
        let vault = try global.openVault()
        let progress = Progress.reporter(enabled: !global.json)
        let result = try vault.archive(
            files: files, diarienummer: diarienummer, unit: unit, received: received, title: title, kind: kind,
            investigators: investigator, allowPersonnummer: allowPersonnummer, progress: progress)
        Progress.finish(enabled: !global.json)
        if global.json {
            Output.json(result)
        } else {
            Output.line("\(result.created ? "created" : "added to") case \(result.case)")
            for d in result.documents {
                Output.line("  document \(d.id)  v\(d.version)  \(d.size) bytes  \(TerminalText.escaped(d.name))")
            }
        }
    }
}

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add documents to a case; a file with a document's name becomes its next version.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Argument(help: "The files to add (a name two documents share means the first; NAME (2).EXT the second).")
    var files: [String]
    @Option(help: "report, investigation, decision, ivo-notification or other.") var kind: String = "other"
    @Flag(help: "Add even if a document seems to contain a personnummer (logged).") var allowPersonnummer = false

    func run() throws {
        let kind = try DocumentKind(parsing: kind)
        let vault = try global.openVault()
        let result = try vault.add(
            caseID: caseID, files: files, kind: kind, allowPersonnummer: allowPersonnummer,
            progress: Progress.reporter(enabled: !global.json))
        Progress.finish(enabled: !global.json)
        if global.json {
            Output.json(result)
        } else {
            Output.line("added to case \(result.case)")
            for d in result.documents {
                Output.line("  document \(d.id)  v\(d.version)  \(d.size) bytes  \(TerminalText.escaped(d.name))")
            }
        }
    }
}

struct Cases: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The registry, as your role may see it.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let cases = try global.openVault().cases()
        if global.json {
            Output.json(cases)
        } else if cases.isEmpty {
            Output.line("no cases")
        } else {
            Table.print(
                ["CASE", "RECEIVED", "STATUS", "DOCS", "UNIT", "TITLE"],
                cases.map {
                    [
                        $0.case, $0.received, $0.status, String($0.documents), $0.unit ?? "(sealed)",
                        $0.title ?? ($0.access ? "-" : "(sealed)"),
                    ]
                })
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One case, its documents and versions, as your role may see it.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String

    func run() throws {
        let d = try global.openVault().show(caseID: caseID)
        if global.json {
            Output.json(d)
            return
        }
        Output.line("case      \(d.case)")
        Output.line("received  \(d.received)")
        Output.line("status    \(d.status)")
        Output.line("unit      \(d.unit.map(TerminalText.escaped) ?? "(sealed: you hold no key to this case)")")
        Output.line("title     \(d.title.map(TerminalText.escaped) ?? (d.access ? "-" : "(sealed)"))")
        Output.line("keys held by \(d.keyHolders.joined(separator: ", "))")
        for doc in d.documents {
            Output.line("document \(doc.id)  \(doc.kind)  \(doc.name.map(TerminalText.escaped) ?? "(name sealed)")")
            for v in doc.versions {
                Output.line("  v\(v.version)  \(v.size) bytes  \(v.archived)  by \(v.by)")
            }
        }
    }
}

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decrypt a document to stdout or a file (only with a key to the case).",
        discussion: "The read is written to the audit log before the first byte is released.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case's diarienummer.") var caseID: String
    @Option(help: "The document's name or number (needed when the case has several).") var doc: String?
    @Option(help: "The version (default: the latest).") var version: Int64?
    @Option(help: ArgumentHelp("Write to this file instead of stdout (never overwrites).", valueName: "path")) var out:
        String?

    func run() throws {
        let vault = try global.openVault()
        let sink = try out.map { (p) throws(VaultError) in try PlaintextSink.file(p) } ?? .standardOutput()
        try vault.read(caseID: caseID, document: doc, version: version, to: sink)
        if let out { Output.note("wrote \(out)") }
    }
}

/// Progress on stderr for long archives: only on a terminal, at most every 64 MiB.
enum Progress {
    static func reporter(enabled: Bool) -> ((String, Int64, Int64) -> Void)? {
        guard enabled, isatty(2) == 1 else { return nil }
        return { name, done, total in
            guard total > 64 << 20, done % (64 << 20) == 0 || done == total else { return }
            let pct = total > 0 ? done * 100 / total : 100
            Output.toStandardError("\r\(TerminalText.escaped(name)): \(done >> 20) / \(total >> 20) MiB (\(pct)%)")
        }
    }

    static func finish(enabled: Bool) {
        if enabled, isatty(2) == 1 { Output.toStandardError("\r\u{1B}[K") }
    }
}
