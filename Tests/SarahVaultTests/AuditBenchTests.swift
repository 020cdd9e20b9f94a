import Dispatch
import Foundation
import Testing

@testable import SarahVault

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
                try vault.store.writeTransaction { () throws(VaultError) in
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
        Self.report("file_bytes", (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)

        // Full verification: every entry, signature, link and the rows.
        var full = VerificationReport()
        let fullTime = try Self.seconds { full = try vault.verify() }
        Self.report("full_verify_ok", full.ok)
        Self.report("full_verify_entries", full.entries)
        Self.report("full_verify_seconds", String(format: "%.3f", fullTime))

        // From a checkpoint `back` entries back: the full check left one at `entries` (and
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
