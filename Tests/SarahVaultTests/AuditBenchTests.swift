import Dispatch
import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// The audit log's part of `make bench` (run by `scripts/bench-audit.sh`; skipped unless
/// `SARAH_VAULT_BENCH=1`). Prints, never asserts, timings as `bench: name=value` lines:
///
/// - appends per second, durable (one transaction each, as every command commits its entry)
///   and in one transaction (signing-bound);
/// - the time to verify a log of `SARAH_VAULT_BENCH_ENTRIES` (default 1,000,000) entries in
///   full, and from a checkpoint 1,000 entries back (`--since-checkpoint`).
///
/// The floor it is compared with — libsodium alone checking as many Ed25519 signatures on all
/// cores — is measured by the script with a small C program in the same run.
@Suite struct AuditBenchTests {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["SARAH_VAULT_BENCH"] == "1"

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// User and system CPU time of this process so far: the work done, whatever else the
    /// machine is running.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    static func report(_ name: String, _ value: Any) {
        // Straight to the file descriptor, unbuffered, so the script sees each line as it comes.
        FileHandle.standardOutput.write(Data("bench: \(name)=\(value)\n".utf8))
    }

    @Test(.enabled(if: enabled, "set SARAH_VAULT_BENCH=1 (make bench does)"))
    func auditLog() throws {
        let entries = Int(Self.environment["SARAH_VAULT_BENCH_ENTRIES"] ?? "") ?? 1_000_000
        let back = 1000
        let durable = 300
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let officer = try Identity.generate(name: "Bench Officer")
        let path = dir.path("bench.sarah")
        let vault = try Vault.create(at: path, identity: officer)
        Self.report("cores", ProcessInfo.processInfo.activeProcessorCount)

        // Durable appends: each its own write transaction, committed with synchronous=FULL.
        let durableTime = try Self.seconds {
            for _ in 0..<durable {
                _ = try vault.store.writeTransaction { () throws(VaultError) in
                    try vault.log.append(
                        by: officer, role: .officer, action: "member.list", result: .granted,
                        AuditLog.Subject(detail: "count=1"))
                }
            }
        }
        Self.report("durable_appends_per_second", Int(Double(durable) / durableTime))

        // The rest of the log in one transaction.
        let bulk = entries - Int(try vault.store.auditCount())
        let bulkTime = try Self.seconds {
            try vault.store.writeTransaction { () throws(VaultError) in
                try vault.log.appendMany(bulk, by: officer, role: .officer, action: "member.list", detail: "count=1")
            }
        }
        Self.report("batched_appends_per_second", Int(Double(bulk) / bulkTime))
        Self.report("entries", try vault.store.auditCount())
        Self.report(
            "file_bytes", (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)

        // Full verification: every entry, signature, link and the rows; the best of `runs`,
        // each on the same `entries` entries (the check's own entry is appended after it).
        let runs = max(1, Int(Self.environment["SARAH_VAULT_BENCH_RUNS"] ?? "") ?? 2)
        var full = VerificationReport()
        var fullTime = Double.infinity
        var fullCPU = Double.infinity
        for run in 0..<runs {
            let cpu = Self.cpuSeconds()
            var report = VerificationReport()
            // The last run through the façade, as `audit verify` does: it also logs its entry and
            // keeps the verified checkpoint that the routine check below starts from.
            let t = try Self.seconds {
                report =
                    run == runs - 1
                    ? try vault.verify()
                    : try AuditVerifier(store: vault.store, vaultID: vault.vaultID, format: vault.format).run()
            }
            fullCPU = min(fullCPU, Self.cpuSeconds() - cpu)
            fullTime = min(fullTime, t)
            full = report
        }
        Self.report("full_verify_ok", full.ok)
        Self.report("full_verify_entries", full.entries)
        Self.report("full_verify_seconds", String(format: "%.3f", fullTime))
        Self.report("full_verify_cpu_seconds", String(format: "%.3f", fullCPU))

        // From a checkpoint `back` entries back: the last full check left one at `entries` (and
        // logged its own entry); add the rest.
        try vault.store.writeTransaction { () throws(VaultError) in
            try vault.log.appendMany(back - 1, by: officer, role: .officer, action: "member.list", detail: "count=1")
        }
        var routine = VerificationReport()
        let routineTime = try Self.seconds { routine = try vault.verify(sinceCheckpoint: true) }
        Self.report("since_verify_ok", routine.ok)
        Self.report("since_verify_entries", routine.entries)
        Self.report("since_verify_new_signatures", routine.signaturesChecked)
        Self.report("since_verify_seconds", String(format: "%.3f", routineTime))

        // Optionally, the floor as Swift sees it (the script's C program is the reference).
        if Self.environment["SARAH_VAULT_BENCH_SWIFT_FLOOR"] == "1" {
            var sample: [(message: [UInt8], signature: [UInt8], key: [UInt8])] = []
            try vault.store.forEachAuditEntry(from: 1) { (seq, bytes) throws(VaultError) in
                guard sample.count < 4096 else { return }
                sample.append((Array(bytes.dropLast(64)), Array(bytes.suffix(64)), officer.signing.publicKey))
            }
            let fixed = sample
            let parts = ProcessInfo.processInfo.activeProcessorCount
            let floorTime = Self.seconds {
                DispatchQueue.concurrentPerform(iterations: parts) { p in
                    var i = p
                    while i < entries {
                        let s = fixed[i % fixed.count]
                        _ = SigningKeyPair.verify(signature: s.signature, message: s.message, publicKey: s.key)
                        i += parts
                    }
                }
            }
            Self.report("swift_floor_seconds", String(format: "%.3f", floorTime))
        }
    }
}
