import Foundation

/// A log review and the entry that records it.
public struct ReviewResult: Sendable, Codable, Equatable {
    public var findings: ReviewFindings
    /// The findings' canonical JSON (sorted keys, no whitespace): the exact bytes whose SHA-256
    /// the `audit.review` entry signs. Keep it with the review's minutes.
    public var findingsJSON: String
    /// Hex SHA-256 of `findingsJSON`.
    public var findingsHash: String
    /// The seq of the `audit.review` entry.
    public var seq: Int64
}

extension Vault {
    /// Reviews the audit log (see `AuditReview`) and records the review in the log, with the
    /// SHA-256 of its findings, so that every review is documented as the rules require.
    ///
    /// Without `since` (a `YYYY-MM-DD` date, from Stockholm midnight), the review covers the
    /// entries after the previous review; with it, every entry from that date on. Auditors and
    /// officers only (the right to read the log). The findings are returned only once their
    /// entry is committed.
    public func review(since: String? = nil, rules: ReviewRules = ReviewRules()) throws(VaultError) -> ReviewResult {
        let sinceMillis: Int64?
        if let since {
            guard let ms = AuditTime.stockholmMidnight(since) else {
                throw VaultError(
                    .invalidInput, "--since must be a date YYYY-MM-DD", hints: ["for example --since 2024-01-01"])
            }
            sinceMillis = ms
        } else {
            sinceMillis = nil
        }
        guard rules.sample <= 100_000 else { throw VaultError(.invalidInput, "a sample of at most 100000 entries") }
        try require(.readAuditLog, action: AuditAction.review)

        let findings = try store.readTransaction { () throws(VaultError) -> ReviewFindings in
            let count = try store.auditCount()
            let fromSeq = since == nil ? (try lastReview(below: count)).map { $0 + 1 } ?? 0 : 0
            var review = AuditReview(
                vaultID: id, reviewer: identity.keyID, since: since, sinceMillis: sinceMillis, fromSeq: fromSeq,
                rules: rules, random: Self.uniformRandom)
            try store.forEachAuditEntry(from: 0) { (seq, bytes) throws(VaultError) in
                guard seq < count else { return }
                do throws(VaultError) {
                    review.add(try AuditEntry(bytes: bytes))
                } catch {
                    throw VaultError(
                        .corrupt, "the review cannot read audit entry \(seq): \(error.message)",
                        hints: ["run 'sarah-vault audit verify' for the full report"])
                }
            }
            var findings = review.finish()
            findings.toSeq = count
            return findings
        }
        let json = try Self.canonicalJSON(findings)
        let hash = Hash.sha256(json)
        let entry = try store.writeTransaction { () throws(VaultError) -> AuditEntry in
            try log.append(
                by: identity, role: myRole, action: AuditAction.review, result: .granted,
                AuditLog.Subject(
                    dataHash: hash,
                    detail:
                        "from=\(findings.fromSeq) to=\(findings.toSeq) entries=\(findings.entries) findings=\(findings.count) sample=\(findings.sample.count)"
                ))
        }
        return ReviewResult(
            findings: findings, findingsJSON: String(decoding: json, as: UTF8.self), findingsHash: Hex.encode(hash),
            seq: entry.seq)
    }

    /// The newest granted `audit.review` entry before `count`, read backwards, so a routine
    /// review finds its starting point in time proportional to what is new.
    private func lastReview(below count: Int64) throws(VaultError) -> Int64? {
        var seq = count - 1
        while seq >= 0 {
            if let bytes = try store.auditEntry(seq: seq), let e = try? AuditEntry(bytes: bytes),
                e.action == AuditAction.review, e.result == .granted
            {
                return seq
            }
            seq -= 1
        }
        return nil
    }

    /// Sorted keys, no whitespace, slashes as they are: one spelling for one set of findings.
    static func canonicalJSON<T: Encodable>(_ value: T) throws(VaultError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(value))
        } catch {
            throw VaultError(.internalError, "the findings could not be encoded as JSON")
        }
    }

    /// A uniform random integer in 0..<n from libsodium's randomness (rejection sampling, so
    /// that no value is likelier than another).
    static func uniformRandom(_ n: UInt64) -> UInt64 {
        guard n > 1 else { return 0 }
        let limit = (UInt64.max / n) * n
        while true {
            let v = Sodium.randomBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if v < limit { return v % n }
        }
    }
}
