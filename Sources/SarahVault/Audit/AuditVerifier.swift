/// Verifies a vault without any content key: every audit entry (format, sequence, chain link,
/// vault id, signature, that its actor was a member with that key when they acted), every
/// roster row, every case key, and every stored ciphertext against the signed hash that wrote
/// it. Every index and length is checked, not assumed.
///
/// Signatures are checked on every core (`EntryBatch`); the order-dependent checks run after
/// each batch, in order. A routine check may start from a tree the same person verified in full
/// before (`TrustedStart`): every stored leaf is still hashed and the first `size` of them must
/// give the trusted root — so nothing before it can have changed — but only the entries after
/// it have their signatures checked again, and only ciphertext written after it is re-hashed.
struct AuditVerifier {
    let store: any VaultStore
    let vaultID: [UInt8]
    let format: VaultFormat

    struct Problem: Sendable, Equatable {
        /// The first bad entry's seq, when the problem is in the log itself.
        var seq: Int64?
        var message: String
    }

    /// A tree head verified in full earlier: its size and RFC 6962 root.
    struct TrustedStart: Sendable, Equatable {
        var size: Int64
        var root: [UInt8]
    }

    /// Verifies everything, or from `start` on. When the log does not extend `start`'s tree, or
    /// anything fails after it, the whole vault is verified again from the beginning, so the
    /// report always names the first bad entry as a full check would.
    func run(from start: TrustedStart? = nil, progress: ((String) -> Void)? = nil) throws(VaultError)
        -> VerificationReport
    {
        try store.readTransaction { () throws(VaultError) -> VerificationReport in
            guard let start, start.size > 0 else { return try pass(from: nil, progress: progress) }
            let routine = try pass(from: start, progress: progress)
            guard !routine.ok else { return routine }
            progress?("the check from entry \(start.size) failed: verifying everything to name the first bad entry")
            var full = try pass(from: nil, progress: progress)
            if routine.startInconsistent, let consistency = routine.problems.first {
                // Each copy of a forked or rolled-back log may verify on its own: only the tree
                // verified before shows it.
                full.problems.insert(consistency, at: 0)
                full.firstBadSeq = full.firstBadSeq ?? routine.firstBadSeq
                full.startInconsistent = true
            }
            return full
        }
    }

    /// One pass over the log and the rows, inside the caller's read transaction.
    private func pass(from start: TrustedStart?, progress: ((String) -> Void)?) throws(VaultError)
        -> VerificationReport
    {
        var problems: [Problem] = []
        var report = VerificationReport()
        let members = try store.members()
        let signers = Dictionary(members.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
        let recoverySigner = try store.meta("recovery_key").flatMap { $0.count == 64 ? Array($0[32..<64]) : nil }
        let signaturesFrom = start?.size ?? 0
        var history = SignedHistory()

        // 1. The log: a chain of signed entries, numbered 0, 1, 2, … without gaps.
        var expected: Int64 = 0
        var previous = [UInt8](repeating: 0, count: MerkleTree.hashBytes)
        var tree = MerkleTree.CompactRange()
        var rootAtStart: [UInt8]? = nil
        var batch = EntryBatch()
        var inFlight: EntryBatch.Pending? = nil

        // The order-dependent checks of one batch, once its entries are parsed, hashed and
        // their signatures checked (in the background, on every core).
        func settle(_ pending: EntryBatch.Pending) {
            let checked = pending.wait()
            guard problems.isEmpty else { return }
            for (row, c) in zip(pending.rows, checked) {
                let rowSeq = row.seq
                guard let entry = c.entry else {
                    problems.append(Problem(seq: rowSeq, message: "audit entry \(rowSeq) is malformed: \(c.error)"))
                    return
                }
                if entry.seq != rowSeq || rowSeq != expected {
                    let what =
                        rowSeq == expected
                        ? "is stored as \(rowSeq) but says \(entry.seq)"
                        : "is missing or out of order (found \(rowSeq))"
                    problems.append(Problem(seq: expected, message: "audit entry \(expected) \(what)"))
                    return
                }
                if entry.vaultID != vaultID {
                    problems.append(Problem(seq: rowSeq, message: "audit entry \(rowSeq) belongs to another vault"))
                } else if rowSeq == 0 && entry.action != AuditAction.initVault {
                    problems.append(
                        Problem(seq: 0, message: "audit entry 0 is not the vault's first entry (vault.init)"))
                } else if entry.previousHash != previous {
                    problems.append(
                        Problem(
                            seq: rowSeq,
                            message:
                                "audit entry \(rowSeq) does not link to entry \(rowSeq - 1): an entry was edited, deleted, duplicated or reordered"
                        ))
                } else if c.signatureChecked && !c.signatureHolds {
                    problems.append(
                        Problem(seq: rowSeq, message: "audit entry \(rowSeq): the signature does not verify (edited)"))
                } else if entry.role != nil && entry.actorSigningKey != recoverySigner {
                    let isInit = rowSeq == 0 && entry.action == AuditAction.initVault
                    if let m = signers[entry.actorKeyID], m.signPublicKey == entry.actorSigningKey,
                        m.entrySeq < rowSeq || (isInit && m.entrySeq == 0), m.role == entry.role?.rawValue,
                        m.removedSeq.map({ rowSeq < $0 }) ?? true
                    {
                        // a member acting as themself, while a member
                    } else {
                        problems.append(
                            Problem(
                                seq: rowSeq,
                                message:
                                    "audit entry \(rowSeq): its actor \(entry.actorKeyID) was not a member with that key and role"
                            ))
                    }
                }
                guard problems.isEmpty else { return }
                if c.signatureChecked { report.signaturesChecked += 1 }
                history.apply(entry)
                previous = c.leafHash
                tree.append(c.leafHash)
                expected += 1
                if let start, expected == start.size { rootAtStart = tree.root }
            }
            progress?("verified \(expected) entries")
        }

        // Batch k is checked in the background while batch k+1 is read and batch k−1 settled.
        func launch() {
            guard !batch.isEmpty else { return }
            let next = batch.launch(signaturesFrom: signaturesFrom)
            batch.removeAll()
            if let previous = inFlight { settle(previous) }
            inFlight = next
        }

        try store.forEachAuditEntry(from: 0) { (rowSeq, bytes) throws(VaultError) in
            guard problems.isEmpty else { return }
            batch.append(seq: rowSeq, bytes: bytes)
            if batch.isFull { launch() }
        }
        launch()
        if let last = inFlight { settle(last) }
        report.entries = expected
        report.headHash = Hex.encode(previous)
        report.treeRoot = Hex.encode(tree.root)
        if expected == 0 && problems.isEmpty { problems.append(Problem(seq: 0, message: "the audit log is empty")) }

        // The routine check's premise: the log still begins with the tree verified before.
        if let start, problems.isEmpty {
            report.trustedEntries = start.size
            let label = "the \(start.size) entries you verified before (root \(Hex.encode(start.root).prefix(16))…)"
            if expected < start.size {
                let missing =
                    expected == start.size - 1 ? "entry \(expected) was" : "entries \(expected)–\(start.size - 1) were"
                report.startInconsistent = true
                problems.append(
                    Problem(
                        seq: expected,
                        message:
                            "the log has \(expected) entries, fewer than \(label): \(missing) cut off, or this is an older copy of the vault (rolled back)"
                    ))
            } else if let rootAtStart, !Sodium.constantTimeEqual(rootAtStart, start.root) {
                report.startInconsistent = true
                problems.append(
                    Problem(
                        seq: nil,
                        message:
                            "the log's first \(start.size) entries are not \(label): the log was rewritten or forked since"
                    ))
            }
        }
        guard problems.isEmpty else { return finish(report, problems) }

        // 2–4. The rows, against what the signed log says.
        checkRows(members: members, history: history, rehashFrom: start?.size ?? 0, into: &report, &problems)
        return finish(report, problems)
    }

    private func finish(_ report: VerificationReport, _ problems: [Problem]) -> VerificationReport {
        var report = report
        report.problems = problems.map(\.message)
        report.firstBadSeq = problems.first?.seq
        return report
    }
}

/// What `audit verify` found.
public struct VerificationReport: Sendable, Codable, Equatable {
    public var ok: Bool { problems.isEmpty }
    public var entries: Int64 = 0
    public var members = 0
    public var cases = 0
    public var versions = 0
    public var bytesHashed: Int64 = 0
    public var headHash = ""
    public var treeRoot = ""
    public var problems: [String] = []
    public var firstBadSeq: Int64?
    /// How many entries were taken on a tree verified before (`--since-checkpoint`): the log
    /// still hashes to its root, but their signatures were not checked again. 0 for a full check.
    public var trustedEntries: Int64 = 0
    /// How many entry signatures this check verified.
    public var signaturesChecked: Int64 = 0
    /// Document versions whose stored ciphertext was re-hashed (all, in a full check).
    public var versionsRehashed = 0
    /// The log no longer extends the tree verified before: cut, rolled back, rewritten or forked.
    public var startInconsistent = false
}
