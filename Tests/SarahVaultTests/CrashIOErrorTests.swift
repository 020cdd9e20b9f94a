import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 6, item 1, second half: I/O errors injected by strace (`error=EIO` at the Nth call) into
/// the page writes and syncs of archive, add, grant, revoke, checkout and read, and into the
/// output writes of checkout and read. A failure must reach the person as one clear line with
/// exit 2; a failure inside the vault's transaction must leave the vault byte for byte as it
/// was; a failure after it (the package or the output file) must leave the vault consistent —
/// the checkout cancelled, the read logged — and no partial file. A sync error SQLite may
/// ignore (the directory's) can let the operation succeed, completely.
@Suite(.serialized) struct CrashIOErrorTests {
    static let traced = ["pwrite64", "fdatasync"]

    /// A spread of page writes, every sync, and — only on the operation's output (the package
    /// file, the read's stdout: strace -P) — a spread of output writes.
    static func plan(_ calls: [String], output: [String]) -> [(syscall: String, when: Int)] {
        func count(_ s: String) -> Int { calls.filter { $0.hasPrefix(s + "(") }.count }
        var plan: [(syscall: String, when: Int)] = []
        for when in spreadPoints(count("pwrite64"), 6) { plan.append(("pwrite64", when)) }
        for when in spreadPoints(count("fdatasync"), 8) { plan.append(("fdatasync", when)) }
        for when in spreadPoints(output.count, 3) { plan.append(("write", when)) }
        return plan
    }

    @Test func ioErrorsFailCleanlyAndChangeNothing() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            var total = (injected: 0, failed: 0, absorbed: 0, unchanged: 0, consistent: 0)
            for op in bench.operations + [bench.readOperation] {
                let (entries, calls) = try bench.dryRun(op, syscalls: Self.traced)
                let output = op.output == nil ? [] : try bench.dryRun(op, syscalls: ["write"], onOutput: true).calls
                var n = (injected: 0, failed: 0, absorbed: 0, unchanged: 0, consistent: 0)
                for (syscall, when) in Self.plan(calls, output: output) {
                    let context = "\(op.name) with EIO at \(syscall) #\(when)"
                    let f = try bench.copy("eio.sarah")
                    let out = dir.path("eio.out")
                    defer {
                        bench.remove(f)
                        unlink(out)
                    }
                    let r = try bench.world.runTraced(
                        ["-e", "trace=\(syscall)", "-e", "inject=\(syscall):error=EIO:when=\(when)"], op.who,
                        op.args(out),
                        vault: f.path, only: syscall == "write" ? op.output.map { ($0, out) } : nil)
                    n.injected += 1
                    #expect(r.signal == nil, "\(context): crashed: \(r.describe)")
                    let afterCommit = syscall == "write"

                    if r.status == 0 {
                        // Only an ignorable sync (the directory's) may be absorbed.
                        n.absorbed += 1
                        #expect(syscall == "fdatasync", "\(context): succeeded despite the error")
                    } else {
                        n.failed += 1
                        #expect(r.status == 2, "\(context): \(r.describe)")
                        expectCleanFailure(r, context)
                        #expect(!contains(r.stdout + r.stderr, bench.small), "\(context): plaintext on a stream")
                        if !afterCommit {
                            #expect(
                                !FileManager.default.fileExists(atPath: out), "\(context): output despite the failure")
                        }
                    }
                    // The next open (rolling back whatever is left), then the checks.
                    let sound = try f.integrity() == "ok"
                    let happened = try op.happened(f)
                    let added = try f.auditCount() - bench.baseEntries
                    #expect(sound, "\(context): integrity check failed")
                    #expect(try f.orphans() == 0, "\(context): orphaned rows")
                    if r.status == 0 {
                        #expect(
                            happened && added == entries, "\(context): succeeded but \(added) of \(entries) entries")
                    } else if afterCommit {
                        // Committed, then the output failed: the checkout is cancelled (a
                        // second entry), the read stays logged; no file is left either way.
                        #expect(happened && added >= entries, "\(context): \(added) entries after a failed output")
                        #expect(!FileManager.default.fileExists(atPath: out), "\(context): a partial output was left")
                    } else {
                        let same = try f.bytes() == bench.baseBytes
                        #expect(same, "\(context): the vault changed although the command failed")
                        #expect(!happened && added == 0, "\(context): \(added) new entries after a failure")
                        if same { n.unchanged += 1 }
                    }
                    try op.check(f, out)
                    if op.name == "checkout" && r.status != 0 {
                        #expect(try bench.packageState(out) == .absent, "\(context): a package after a failure")
                    }
                    let report = try Vault.open(at: f.path, identity: bench.officerID).verify()
                    #expect(report.ok, "\(context): verify: \(report.problems)")
                    if sound && report.ok { n.consistent += 1 }
                }
                print(
                    "crash: \(op.name) under EIO: \(n.injected) errors injected, \(n.failed) failed cleanly (exit 2, one line), \(n.absorbed) absorbed (ignorable sync) and complete, \(n.unchanged) left the vault byte-identical, \(n.consistent) consistent and verified"
                )
                #expect(n.failed > 0, "\(op.name): no injected error made it fail")
                total.injected += n.injected
                total.failed += n.failed
                total.absorbed += n.absorbed
                total.unchanged += n.unchanged
                total.consistent += n.consistent
            }
            print(
                "crash: \(total.injected) I/O errors injected, \(total.failed) failed cleanly, \(total.absorbed) absorbed, \(total.unchanged) byte-identical, \(total.consistent) consistent and verified"
            )
            #expect(total.consistent == total.injected)
        }
    }
}

/// The CLI's own messages: a failing stderr (a full disk under a redirected log) must not turn
/// a clean exit into a crash.
@Suite struct CrashStderrTests {
    @Test
    func aFailingStderrIsNotACrash() throws {
        _ = try CrashKit.requireStrace()
        try withTemporaryDirectory { dir in
            let bench = try CrashBench(dir: dir)
            let exists = try dir.write("exists.txt", [1])
            let fresh = dir.path("fresh.txt")
            // A refusal (the output exists: exit 2) and a success (the note "wrote …": exit 0).
            for (args, status) in [(["--out", exists], Int32(2)), (["--out", fresh], Int32(0))] {
                let r = try bench.world.runTraced(
                    ["-e", "trace=write", "-e", "inject=write:error=EIO:when=1"], bench.officer,
                    ["read", CrashBench.caseA, "--doc", "small.txt"] + args, vault: bench.base, only: (.stderr, ""))
                print(
                    "crash: read \(args.joined(separator: " ")) with EIO on stderr: \(r.signal.map { "signal \($0)" } ?? "exit \(r.status ?? -1)")"
                )
                #expect(r.signal == nil && r.status == status, "read \(args): \(r.describe)")
            }
        }
    }
}
