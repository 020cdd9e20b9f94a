import Foundation
import Synchronization
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 6, item 3: several people at once on one vault file, each command its own process
/// (as on a shared drive). Four officers each run 200 commands — archive a case of their own,
/// add a version, read it, grant an investigator, read the first version — all four at the same
/// time. Then: every command succeeded (no `database is locked` or busy error reached anyone:
/// the busy timeout and `BEGIN IMMEDIATE` serialise them), every read returned its bytes, the
/// log holds exactly the entries those commands make, per person and action, with sequence
/// numbers 0…n-1 and no fork, and `audit verify` passes.
@Suite(.serialized) struct ConcurrencyTests {
    static let writers = 4
    static let cycles = 40  // five commands each: 200 per writer
    static let commandsPerCycle = 5

    struct Failure: Sendable {
        var writer: Int
        var command: String
        var detail: String
        var busy: Bool
    }

    /// One writer's 200 commands, in order; returns what went wrong.
    static func writer(_ w: Int, world: CrashWorld, me: CrashPerson, investigator: CrashPerson) -> [Failure] {
        var failures: [Failure] = []
        func check(_ command: String, _ r: ChildResult?, _ ok: Bool = true) {
            guard let r else {
                failures.append(Failure(writer: w, command: command, detail: "could not start", busy: false))
                return
            }
            let lockWords = ["locked", "busy"].filter { r.err.lowercased().contains($0) }
            if r.status != 0 || !ok || !lockWords.isEmpty {
                failures.append(Failure(writer: w, command: command, detail: r.describe, busy: !lockWords.isEmpty))
            }
        }
        let mine = world.dir.path("w\(w)")
        for k in 0..<cycles {
            let caseID = "ASN 2021/\((w + 1) * 1000 + k)"
            let name = "w\(w)-dokument-\(k).txt"
            let v1 = Array("Skrivare \(w), ärende \(k), version 1.\n".utf8)
            let v2 = v1 + Array("Version 2: komplettering.\n".utf8)
            guard let p1 = try? world.dir.write("w\(w)/v1/\(name)", v1),
                let p2 = try? world.dir.write("w\(w)/v2/\(name)", v2)
            else {
                failures.append(Failure(writer: w, command: "prepare", detail: "cannot write the inputs", busy: false))
                continue
            }
            check(
                "archive \(caseID)",
                try? world.run(
                    me, ["archive", p1, "--diarienummer", caseID, "--unit", "Hemtjänst", "--received", "2021-01-01"]))
            check("add \(caseID)", try? world.run(me, ["add", caseID, p2]))
            let out2 = mine + "/read-\(k)-v2"
            let r2 = try? world.run(me, ["read", caseID, "--doc", name, "--out", out2])
            check("read \(caseID)", r2, (try? readBytes(out2)) == v2)
            check("grant \(caseID)", try? world.run(me, ["grant", caseID, investigator.keyID]))
            let out1 = mine + "/read-\(k)-v1"
            let r1 = try? world.run(me, ["read", caseID, "--doc", name, "--version", "1", "--out", out1])
            check("read v1 \(caseID)", r1, (try? readBytes(out1)) == v1)
            unlink(out1)
            unlink(out2)
        }
        return failures
    }

    @Test func fourWritersAtOnceLoseNothing() throws {
        try withTemporaryDirectory { dir in
            let world = try CrashWorld(dir: dir)
            let admin = try world.keygen("Olle Ombud", file: "admin.id")
            let investigator = try world.keygen("Ines Utredare", file: "inv.id")
            var officers: [CrashPerson] = []
            for w in 0..<Self.writers { officers.append(try world.keygen("Officer \(w)", file: "w\(w).id")) }
            try world.initVault(
                officer: admin,
                members: [("Ines Utredare", "investigator", investigator)]
                    + officers.enumerated().map { ("Officer \($0.offset)", "officer", $0.element) })
            let file = VaultFile(path: world.vault)
            let before = try file.auditCount()

            // All four at once: a thread each, each running its commands as processes.
            let failures = Mutex<[Failure]>([])
            let done = DispatchGroup()
            let clock = ContinuousClock()
            let start = clock.now
            for w in 0..<Self.writers {
                done.enter()
                let me = officers[w]
                Thread {
                    let f = Self.writer(w, world: world, me: me, investigator: investigator)
                    failures.withLock { $0 += f }
                    done.leave()
                }.start()
            }
            done.wait()
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let commands = Self.writers * Self.cycles * Self.commandsPerCycle

            let failed = failures.withLock { $0 }
            for f in failed.prefix(10) { Issue.record("writer \(f.writer): \(f.command): \(f.detail)") }
            #expect(failed.isEmpty, "\(failed.count) of \(commands) commands failed")

            // The log: contiguous, complete, per person and action.
            let log = try world.must(admin, ["--json", "audit", "log"])
            var seqs: [Int] = []
            var tally: [String: [String: Int]] = [:]
            for line in log.out.split(separator: "\n") {
                guard let e = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let seq = e["seq"] as? Int, let actor = e["actor"] as? String, let action = e["action"] as? String,
                    let result = e["result"] as? String
                else { throw TestFailure("an audit line is not what the contract says: \(line)") }
                seqs.append(seq)
                tally[actor, default: [:]]["\(action) \(result)", default: 0] += 1
            }
            let perWriter = [
                "case.archive granted": Self.cycles, "document.add granted": 3 * Self.cycles,
                "document.read granted": 2 * Self.cycles, "case.grant granted": Self.cycles,
            ]
            // What was there, what the writers did, and the log's own read.
            let expectedEntries = Int(before) + Self.writers * perWriter.values.reduce(0, +) + 1
            #expect(seqs == Array(0..<seqs.count), "the sequence numbers are not 0…n-1")
            #expect(seqs.count == expectedEntries, "\(seqs.count) entries, expected \(expectedEntries)")
            for (w, o) in officers.enumerated() {
                #expect(tally[o.keyID] ?? [:] == perWriter, "writer \(w)'s entries: \(tally[o.keyID] ?? [:])")
            }
            let verify = try world.run(admin, ["audit", "verify"])
            #expect(verify.status == 0, "audit verify: \(verify.describe)")
            #expect(try file.integrity() == "ok")

            print(
                "concurrency: \(Self.writers) writers × \(commands / Self.writers) commands = \(commands) processes in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", Double(commands) / seconds)) commands/s, \(String(format: "%.1f", Double(Self.writers * perWriter.values.reduce(0, +)) / seconds)) entries/s); \(failed.count) failed, \(failed.filter(\.busy).count) with 'busy' or 'locked'; log \(seqs.count) entries (expected \(expectedEntries)), seqs contiguous: \(seqs == Array(0..<seqs.count)), audit verify exit \(verify.status ?? -1)"
            )
        }
    }
}
