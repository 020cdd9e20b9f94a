import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 6, item 1: `sarah-vault` killed with SIGKILL at many points of archive, add, grant,
/// revoke and checkout — deterministically, by strace delivering the signal at the Nth call of
/// a write, sync, unlink (the rollback journal's delete is the commit) or output write. After
/// each kill the next open rolls back any hot journal, and then: the file is sound, the
/// operation is there completely (every document readable byte for byte, all its audit
/// entries) or not at all (no row, no entry), and `audit verify` passes.
@Suite(.serialized) struct CrashKillTests {
    static let traced = ["pwrite64", "fdatasync", "fsync", "unlink", "fcntl", "write"]

    /// The kill points of one operation, from its dry run's calls: a spread of its page writes
    /// (journal and database), every sync and unlink, the two lock calls right after the
    /// journal's delete (committed, the process still holding the vault), and a spread of its
    /// output writes (the checkout package).
    static func plan(_ calls: [String]) -> [(syscall: String, when: Int, label: String)] {
        func count(_ s: String) -> Int { calls.filter { $0.hasPrefix(s + "(") }.count }
        var plan: [(syscall: String, when: Int, label: String)] = []
        for (s, n) in [("pwrite64", 12), ("fdatasync", 8), ("fsync", 8), ("unlink", 8)] {
            for when in spreadPoints(count(s), n) { plan.append((s, when, "\(s) #\(when)")) }
        }
        if let commit = calls.lastIndex(where: { $0.hasPrefix("unlink(") && $0.contains("-journal") }) {
            let before = calls[..<commit].filter { $0.hasPrefix("fcntl(") }.count
            for when in [before + 1, before + 2] where when <= count("fcntl") {
                plan.append(("fcntl", when, "fcntl #\(when), just after the commit"))
            }
        }
        for when in spreadPoints(count("write"), 4) { plan.append(("write", when, "write #\(when)")) }
        return plan
    }

    @Test func killedAnywhereTheVaultRecovers() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            var total = (points: 0, killed: 0, recovered: 0, hot: 0, complete: 0, cliVerified: 0)
            for op in bench.operations {
                let (entries, calls) = try bench.dryRun(op, syscalls: Self.traced)
                var n = (points: 0, killed: 0, recovered: 0, hot: 0, complete: 0, cliVerified: 0)
                var packages: [String: Int] = [:]
                for (syscall, when, label) in Self.plan(calls) {
                    let context = "\(op.name) killed at \(label)"
                    let f = try bench.copy("kill.sarah")
                    let out = dir.path("kill.package")
                    defer {
                        bench.remove(f)
                        unlink(out)
                    }
                    let r = try bench.world.runTraced(
                        ["-e", "trace=\(syscall)", "-e", "inject=\(syscall):signal=SIGKILL:when=\(when)"],
                        op.who, op.args(out), vault: f.path)
                    n.points += 1
                    if r.killed {
                        n.killed += 1
                    } else {
                        #expect(r.status == 0, "\(context): not killed, and failed: \(r.describe)")
                    }
                    let hadJournal = f.hasJournal

                    // The next open: SQLite rolls a hot journal back (one whose header was
                    // never written is not hot: it is ignored, and the next commit removes it).
                    let sound = try f.integrity() == "ok"
                    if hadJournal && !f.hasJournal { n.hot += 1 }
                    let journalHarmless = try !f.hasJournal || f.journalIsCold()
                    let happened = try op.happened(f)
                    let added = try f.auditCount() - bench.baseEntries
                    let entriesMatch = added == (happened ? entries : 0)
                    let orphans = try f.orphans()
                    #expect(sound, "\(context): integrity check failed")
                    #expect(journalHarmless, "\(context): a hot journal outlived the next open")
                    #expect(
                        entriesMatch,
                        "\(context): \(added) new audit entries for \(happened ? "a complete" : "an absent") operation of \(entries)"
                    )
                    #expect(orphans == 0, "\(context): \(orphans) orphaned rows")
                    try op.check(f, out)
                    if op.name == "checkout" {
                        let state = try bench.packageState(out)
                        packages[state.rawValue, default: 0] += 1
                        if !happened { #expect(state == .absent, "\(context): a package without its checkout") }
                    }
                    // `audit verify`: the library's at every point, the binary's at every
                    // third (the same code, plus a process of its own opening the file).
                    let report = try Vault.open(at: f.path, identity: bench.officerID).verify()
                    var verified = report.ok
                    #expect(report.ok, "\(context): verify: \(report.problems)")
                    if n.points % 3 == 1 {
                        let cli = try bench.world.run(bench.officer, ["audit", "verify"], vault: f.path)
                        #expect(cli.status == 0, "\(context): audit verify: \(cli.describe)")
                        verified = verified && cli.status == 0
                        n.cliVerified += 1
                    }
                    #expect(!f.hasJournal, "\(context): the journal outlived the next commit")
                    if happened { n.complete += 1 }
                    if sound && journalHarmless && entriesMatch && orphans == 0 && verified && !f.hasJournal {
                        n.recovered += 1
                    }
                }
                let callText = Self.traced.map { s in "\(s) \(calls.filter { $0.hasPrefix(s + "(") }.count)" }
                    .joined(separator: ", ")
                let packageText =
                    packages.isEmpty
                    ? ""
                    : ", packages "
                        + packages.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: " ")
                print(
                    "crash: \(op.name) (\(entries) audit entries; calls: \(callText)): \(n.points) kill points, \(n.killed) killed, \(n.hot) hot journals rolled back, \(n.complete) complete, \(n.points - n.complete) absent\(packageText), \(n.recovered) recovered (\(n.cliVerified) also by the binary's audit verify)"
                )
                #expect(n.killed > 0, "\(op.name): no kill point hit")
                total.points += n.points
                total.killed += n.killed
                total.recovered += n.recovered
                total.hot += n.hot
                total.complete += n.complete
                total.cliVerified += n.cliVerified
            }
            print(
                "crash: \(total.points) kill points, \(total.killed) killed, \(total.hot) hot journals rolled back, \(total.complete) complete, \(total.points - total.complete) absent, \(total.recovered) recovered (\(total.cliVerified) also by the binary's audit verify)"
            )
            #expect(total.recovered == total.points)
        }
    }
}
