import ArgumentParser
import Foundation
import SarahVault

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read and verify the signed, hash-chained audit log.",
        subcommands: [
            Log.self, Verify.self, Checkpoint.self, Cosign.self, Prove.self, VerifyProof.self, Review.self, Export.self,
        ])

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit entries (officers and auditors); with --json, one JSON object a line.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("case"), help: "Only entries about this case.") var caseID: String?

        func run() throws {
            let entries = try global.openVault().auditLog(caseID: caseID)
            if global.json {
                for e in entries { Output.json(AuditEntryView(e)) }
            } else {
                Table.print(
                    ["SEQ", "TIME", "ACTOR", "ROLE", "ACTION", "CASE", "DOC", "RESULT", "DETAIL"],
                    entries.map { e in
                        let l = AuditEntryView(e)
                        return [
                            String(l.seq), l.time, l.actor, l.role, l.action, l.case ?? "-",
                            l.document.map { "\($0)v\(l.version ?? 0)" } ?? "-", l.result, l.detail,
                        ]
                    })
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check every entry, signature and link, the roster and every stored ciphertext — without reading a case.",
            discussion: """
                Exit 0 when everything holds; exit 1 naming the first entry (seq) or object that does not. \
                Signatures are checked on every core. With --since-checkpoint the check starts from the \
                log you last verified in full on this vault: every entry is hashed again and must give \
                the root you verified, but only newer entries' signatures and newer ciphertext are \
                checked — a routine check costs what is new. Anything amiss, and everything is \
                verified again to name the first bad entry.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var checkpoint: CheckpointOptions
        @Flag(
            name: .customLong("since-checkpoint"),
            help:
                "Start from the log you last verified (your own signed record of it in the vault); verify everything when there is none."
        )
        var sinceCheckpoint = false

        struct Combined: Encodable {
            var report: VerificationReport
            var checkpoint: CheckpointReport?
        }

        func run() throws {
            let vault = try global.openVault()
            // The checkpoint first: each check logs an entry, and a log one entry short of the
            // checkpoint must be seen as cut short, not grown to its size by our own entry.
            let held = try checkpoint.verify(with: vault)
            let report = try vault.verify(sinceCheckpoint: sinceCheckpoint)
            if global.json {
                if let held { Output.json(Combined(report: report, checkpoint: held)) } else { Output.json(report) }
            } else if report.ok {
                Output.line(
                    "ok: \(report.entries) entries, \(report.members) members, \(report.cases) cases, \(report.versions) document versions (\(report.bytesHashed) bytes of ciphertext) verified"
                )
                if report.trustedEntries > 0 {
                    Output.line(
                        "from your verified checkpoint of \(report.trustedEntries) entries: \(report.signaturesChecked) new signatures and \(report.versionsRehashed) new document versions checked"
                    )
                } else if sinceCheckpoint {
                    Output.note("no verified checkpoint of yours in this vault: verified everything")
                }
                Output.line("tree root: \(report.treeRoot)")
            }
            // One error line, first: the checkpoint's finding when it fails (a cut, rolled-back or
            // forked log is the graver news), else the first problem; the rest as notes.
            if let held, !global.json { CheckpointOutput.print(held) }
            if !report.ok {
                let rest = held?.ok == false ? report.problems[...] : report.problems.dropFirst()
                if held?.ok != false { Output.error(report.problems[0]) }
                for p in rest { Output.note("also: \(p)") }
                throw ExitCode(1)
            }
            if held?.ok == false { throw ExitCode(1) }
        }
    }

    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Review the log: reads by non-holders, refusals, unusual volume, reads out of hours, a random sample.",
            discussion: """
                The systematic log review the rules for access logs ask for (auditors and officers). \
                Without --since it covers the entries after the previous review. Office hours are \
                weekdays 07–18, Stockholm time. The review is recorded in the log with the SHA-256 of \
                its findings' canonical JSON; --out keeps those exact bytes for the minutes.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(
            help: ArgumentHelp("Review every entry from this date (YYYY-MM-DD, Stockholm time).", valueName: "date"))
        var since: String?
        @Option(help: ArgumentHelp("Draw this many entries at random for a manual spot check.", valueName: "n"))
        var sample = 0
        @Option(
            help: ArgumentHelp(
                "Also write the findings' canonical JSON (what the review entry hashes) to this new file.",
                valueName: "path"))
        var out: String?

        func validate() throws {
            guard sample >= 0 else { throw ValidationError("--sample cannot be negative") }
        }

        func run() throws {
            if let out, FileManager.default.fileExists(atPath: out) {
                throw VaultError(.alreadyExists, "\(out) already exists: refusing to overwrite it")
            }
            let result = try global.openVault().review(since: since, rules: ReviewRules(sample: sample))
            if let out { try ReviewOutput.write(result.findingsJSON, to: out) }
            if global.json {
                Output.json(result)
                return
            }
            ReviewOutput.print(result)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Export the log as JSON lines, with everything an outside verifier needs (auditors and officers).",
            discussion:
                "The format is in docs/FORMAT.md §10.6. Nothing is written before the export is recorded in the log.")
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Write to this new file instead of standard output.", valueName: "path"))
        var out: String?

        func run() throws {
            let vault = try global.openVault()
            let sink = try out.map { (path) throws(VaultError) in try PlaintextSink.file(path) } ?? .standardOutput()
            let summary = try vault.exportLog(to: sink)
            if let out {
                Output.note(
                    "exported \(summary.entries) entries and \(summary.members) members to \(out) (root \(summary.root))"
                )
            }
        }
    }
}

/// Printing a log review for people.
enum ReviewOutput {
    static func write(_ json: String, to path: String) throws {
        try PrivateFile.create(path, contents: Array(json.utf8), what: "review")
    }

    static func print(_ r: ReviewResult) {
        let f = r.findings
        Output.line(
            "reviewed entries \(f.fromSeq)–\(max(f.fromSeq, f.toSeq - 1)) (\(f.entries) entries, \(f.reads) reads)\(f.since.map { " since \($0)" } ?? "")"
        )
        section("reads by someone not holding the case's key", f.readsByNonHolders)
        section("refused attempts", f.refusals)
        if f.unusualVolume.isEmpty {
            Output.line("unusual volume: none (median \(f.medianReads) reads)")
        } else {
            Output.line("unusual volume (more than \(f.rules.volumeFactor)× the median of \(f.medianReads) reads):")
            for v in f.unusualVolume { Output.line("  \(v.actor) (\(v.role)): \(v.reads) reads") }
        }
        section("reads outside office hours (weekdays 07–18, Stockholm)", f.readsOutsideOfficeHours)
        if !f.sample.isEmpty { section("random sample to check by hand", f.sample) }
        Output.line("recorded as audit entry \(r.seq), findings sha256 \(r.findingsHash)")
    }

    private static func section(_ title: String, _ entries: [ReviewFindings.Entry]) {
        guard !entries.isEmpty else {
            Output.line("\(title): none")
            return
        }
        Output.line("\(title): \(entries.count)")
        for e in entries {
            let doc = e.document.map { " doc \($0)v\(e.version ?? 0)" } ?? ""
            Output.line(
                "  \(e.seq)  \(e.local)  \(e.actor) (\(e.role))  \(e.action) \(e.result)  \(e.case ?? "-")\(doc)")
        }
    }
}
