import ArgumentParser
import Foundation
import SarahVault

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read and verify the signed, hash-chained audit log.",
        subcommands: [Log.self, Verify.self, Checkpoint.self])

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit entries (officers and auditors); with --json, one JSON object a line.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("case"), help: "Only entries about this case.") var caseID: String?

        func run() throws {
            let entries = try global.openVault().auditLog(caseID: caseID)
            if global.json {
                for e in entries { Output.json(AuditLine(e)) }
            } else {
                Table.print(
                    ["SEQ", "TIME", "ACTOR", "ROLE", "ACTION", "CASE", "DOC", "RESULT", "DETAIL"],
                    entries.map { e in
                        let l = AuditLine(e)
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
            abstract: "Check every entry, signature and link, the roster and every stored ciphertext — without reading a case.",
            discussion: "Exit 0 when everything holds; exit 1 naming the first entry (seq) or object that does not.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var checkpoint: CheckpointOptions

        struct Combined: Encodable {
            var report: VerificationReport
            var checkpoint: CheckpointReport?
        }

        func run() throws {
            let vault = try global.openVault()
            let report = try vault.verify()
            let held = try checkpoint.verify(with: vault)
            if global.json {
                if let held { Output.json(Combined(report: report, checkpoint: held)) } else { Output.json(report) }
            } else if report.ok {
                Output.line(
                    "ok: \(report.entries) entries, \(report.members) members, \(report.cases) cases, \(report.versions) document versions (\(report.bytesHashed) bytes of ciphertext) verified"
                )
                Output.line("tree root: \(report.treeRoot)")
            }
            if let held, !global.json { CheckpointOutput.print(held) }
            if !report.ok {
                for p in report.problems.dropFirst() { Output.note("also: \(p)") }
                Output.error(report.problems[0])
                throw ExitCode(1)
            }
            if held?.ok == false { throw ExitCode(1) }
        }
    }
}

/// One audit entry as `audit log --json` prints it.
struct AuditLine: Encodable {
    var seq: Int64
    var time: String
    var actor: String
    var role: String
    var action: String
    var `case`: String?
    var document: Int64?
    var version: Int64?
    var result: String
    var detail: String
    var dataHash: String?
    var keyHash: String?

    enum CodingKeys: String, CodingKey {
        case seq, time, actor, role, action, `case`, document, version, result, detail, dataHash, keyHash
    }

    /// Every key of the contract is present in every line (`null` where an entry has none).
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(time, forKey: .time)
        try c.encode(actor, forKey: .actor)
        try c.encode(role, forKey: .role)
        try c.encode(action, forKey: .action)
        try c.encode(self.case, forKey: .case)
        try c.encode(document, forKey: .document)
        try c.encode(version, forKey: .version)
        try c.encode(result, forKey: .result)
        try c.encode(detail, forKey: .detail)
        try c.encode(dataHash, forKey: .dataHash)
        try c.encode(keyHash, forKey: .keyHash)
    }

    init(_ e: AuditEntry) {
        seq = e.seq
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        time = formatter.string(from: Date(timeIntervalSince1970: Double(e.timeMillis) / 1000))
        actor = e.actorKeyID
        role = e.role?.rawValue ?? "none"
        action = e.action
        self.case = e.caseID
        document = e.document
        version = e.version
        result = e.result.name
        detail = e.detail
        dataHash = e.dataHash.map { $0.map { String(format: "%02x", $0) }.joined() }
        keyHash = e.keyHash.map { $0.map { String(format: "%02x", $0) }.joined() }
    }
}
