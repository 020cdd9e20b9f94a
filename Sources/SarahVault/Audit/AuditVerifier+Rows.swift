extension AuditVerifier {
    /// 1 MiB of 64 KiB chunks.
    static let chunksPerBatch = 16

    /// Steps 2–4 of `docs/FORMAT.md` §9: the roster, the cases and their key holders, and every
    /// document version with its stored ciphertext, each against the signed entry that wrote it.
    /// Ciphertext is re-hashed for versions written by entry `rehashFrom` or later (all of them
    /// in a full check).
    func checkRows(
        members: [StoredMember], history: SignedHistory, rehashFrom: Int64, into report: inout VerificationReport,
        _ problems: inout [Problem]
    ) {
        // 2. The roster.
        let roster = Roster(store: store)
        for m in members {
            do throws(VaultError) { try roster.verify(m) } catch {
                problems.append(Problem(seq: m.entrySeq, message: error.message))
            }
            if m.removedSeq != history.removedAt[m.keyID] {
                problems.append(
                    Problem(
                        seq: m.removedSeq,
                        message:
                            "member \(m.keyID): the roster says removed at \(m.removedSeq.map(String.init) ?? "never"), the signed log says \(history.removedAt[m.keyID].map(String.init) ?? "never")"
                    ))
            }
        }
        report.members = members.count

        // 3. Case keys, holders, status and registry fields.
        do throws(VaultError) {
            for c in try store.cases() {
                do throws(VaultError) { try checkCase(c, history) } catch {
                    problems.append(Problem(seq: nil, message: error.message))
                }
                report.cases += 1
            }
        } catch {
            problems.append(Problem(seq: nil, message: error.message))
        }

        // 5. Board summaries and checkouts, against the entries that wrote and closed them.
        do throws(VaultError) {
            for summary in try store.summaries() {
                do throws(VaultError) { try checkSummary(summary) } catch {
                    problems.append(Problem(seq: nil, message: error.message))
                }
            }
            for checkout in try store.checkouts() {
                do throws(VaultError) { try checkCheckout(checkout) } catch {
                    problems.append(Problem(seq: nil, message: error.message))
                }
            }
        } catch {
            problems.append(Problem(seq: nil, message: error.message))
        }

        // 4. Every version, and its stored ciphertext, without a key.
        do throws(VaultError) {
            for v in try store.allVersions() {
                do throws(VaultError) {
                    if try checkVersion(v, rehash: v.entrySeq >= rehashFrom, &report) { report.versionsRehashed += 1 }
                } catch {
                    problems.append(Problem(seq: nil, message: error.message))
                }
                report.versions += 1
            }
        } catch {
            problems.append(Problem(seq: nil, message: error.message))
        }
    }

    /// A summary row is what its `summary.write` entry signed: case, version and body.
    private func checkSummary(_ s: StoredSummary) throws(VaultError) {
        let what = "the board summary of case \(s.caseID) version \(s.version)"
        let e = try entry(s.entrySeq, what)
        guard e.action == AuditAction.writeSummary, e.result == .granted, e.caseID == s.caseID,
            e.detailValue("version") == String(s.version), e.dataHash == Hash.sha256(s.body)
        else { throw VaultError(.corrupt, "\(what) does not match signed audit entry \(s.entrySeq)") }
    }

    /// A checkout row is what its `checkout.issue` entry signed, and it is closed exactly when a
    /// closing entry (return, loss, cancellation) names it.
    private func checkCheckout(_ c: StoredCheckout) throws(VaultError) {
        let what = "checkout \(c.id)"
        let issued = try entry(c.issueSeq, what)
        guard issued.action == AuditAction.checkoutIssue, issued.result == .granted, issued.caseID == c.caseID,
            issued.detailValue("id") == c.id, issued.detailValue("holder") == c.holder,
            issued.detailValue("expires") == String(c.expires), issued.detailValue("documents") == String(c.documents),
            issued.actorKeyID == c.holder
        else { throw VaultError(.corrupt, "\(what) does not match signed audit entry \(c.issueSeq)") }
        let closing: [String: String] = [
            AuditAction.checkoutReturn: "returned", AuditAction.checkoutLost: "lost",
            AuditAction.checkoutCancel: "cancelled",
        ]
        guard let closeSeq = c.closeSeq else {
            guard c.status == "out" else {
                throw VaultError(.corrupt, "\(what) is '\(c.status)' without a signed entry that closed it")
            }
            return
        }
        let closed = try entry(closeSeq, what)
        guard closed.result == .granted, closed.caseID == c.caseID, closed.detailValue("id") == c.id,
            closing[closed.action] == c.status, closeSeq > c.issueSeq
        else {
            throw VaultError(
                .corrupt, "\(what): its status '\(c.status)' does not match signed audit entry \(closeSeq)")
        }
    }

    private func entry(_ seq: Int64, _ what: String) throws(VaultError) -> AuditEntry {
        guard let bytes = try store.auditEntry(seq: seq) else {
            throw VaultError(.corrupt, "\(what): its audit entry \(seq) is missing")
        }
        return try AuditEntry(bytes: bytes)
    }

    private func checkCase(_ c: StoredCase, _ history: SignedHistory) throws(VaultError) {
        let e = try entry(c.keySeq, "case \(c.id)")
        guard e.caseID == c.id, e.keyHash == CaseCrypto.publicKeyHash(c.publicKey) else {
            throw VaultError(.corrupt, "case \(c.id): its public key does not match signed audit entry \(c.keySeq)")
        }
        let stored = Set(try store.caseKeyHolders(caseID: c.id))
        let signed = history.holders[c.id] ?? []
        guard stored == signed else {
            let missing = signed.subtracting(stored).sorted().joined(separator: ",")
            let extra = stored.subtracting(signed).sorted().joined(separator: ",")
            throw VaultError(
                .corrupt,
                "case \(c.id): its key holders differ from the signed log (missing: \(missing.isEmpty ? "none" : missing); not granted: \(extra.isEmpty ? "none" : extra))"
            )
        }
        guard c.status == history.statuses[c.id] ?? "received" else {
            throw VaultError(.corrupt, "case \(c.id): its status '\(c.status)' is not the one the signed log set")
        }
        guard String(c.epoch) == e.detailValue("epoch") else {
            throw VaultError(.corrupt, "case \(c.id): its key epoch does not match signed audit entry \(c.keySeq)")
        }
        let created = try entry(c.createdSeq, "case \(c.id)")
        guard created.action == AuditAction.archiveCase, created.caseID == c.id,
            created.dataHash == CaseCrypto.registryHash(caseID: c.id, received: c.received)
        else {
            throw VaultError(
                .corrupt, "case \(c.id): its registry fields do not match signed audit entry \(c.createdSeq)")
        }
    }

    /// Returns whether the ciphertext was re-hashed.
    private func checkVersion(_ v: StoredVersion, rehash: Bool, _ report: inout VerificationReport) throws(VaultError)
        -> Bool
    {
        let label = "case \(v.caseID) document \(v.document) version \(v.version)"
        let e = try entry(v.entrySeq, label)
        let kind = try store.documents(caseID: v.caseID).first { $0.number == v.document }?.kind
        guard e.action == AuditAction.addDocument, e.caseID == v.caseID, e.document == v.document,
            e.version == v.version, e.keyHash == v.keyCommitment, e.detailValue("size") == String(v.size),
            e.detailValue("chunks") == String(v.chunkCount), e.detailValue("kind") == kind,
            e.dataHash == v.ciphertextHash
        else {
            throw VaultError(.corrupt, "\(label): its row does not match signed audit entry \(v.entrySeq)")
        }
        // The signed entry names the digest (format 2: hash=sha256); it must be the vault format's.
        guard let digest = ChunkDigest.Kind(detailName: e.detailValue("hash")), digest == format.chunkDigest else {
            throw VaultError(
                .corrupt,
                "\(label): signed audit entry \(v.entrySeq) names the hash \(e.detailValue("hash") ?? "blake2b-256"), not the one of a format-\(format.rawValue) vault"
            )
        }
        guard rehash else { return false }
        // Chunks are digested on every core, a batch at a time, two to a work item,
        // and the digests hashed in order. Each chunk is copied once, from SQLite's pages into a
        // slot of `batch` that is reused for the whole document (no allocation per chunk).
        let hasher = CiphertextHasher(digest)
        let batch = ChunkSlots(count: Self.chunksPerBatch)
        defer { batch.release() }
        var filled = 0
        var count: Int64 = 0
        var bytes: Int64 = 0
        func digestFilled() {
            let n = filled
            let pairs = ParallelMap.map(Array(stride(from: 0, to: n, by: 2))) { i in
                guard i + 1 < n else { return [ChunkDigest(digest, of: batch[i])] }
                return [ChunkDigest(digest, of: batch[i]), ChunkDigest(digest, of: batch[i + 1])]
            }
            for d in pairs.joined() { hasher.add(digest: d) }
            filled = 0
        }
        try store.forEachChunk(vid: v.vid) { (_, length) throws(VaultError) in
            // Every slot asked for so far has been filled: a full batch is ready.
            if filled == Self.chunksPerBatch { digestFilled() }
            defer { filled += 1 }
            count += 1
            bytes += Int64(length)
            return batch.slot(filled, length: length)
        }
        digestFilled()
        report.bytesHashed += bytes
        guard hasher.finalize() == e.dataHash, count == v.chunkCount else {
            throw VaultError(
                .corrupt, "\(label): the stored ciphertext does not match the hash signed in audit entry \(v.entrySeq)")
        }
        return true
    }
}

/// The verifier's reusable chunk buffers: `count` slots, each grown to the longest chunk it has
/// held and never shrunk, so digesting a document allocates a handful of times, not per chunk.
///
/// `@unchecked Sendable`: the slots are written only by the storage read on the calling thread,
/// between batches, and read by the digest workers only inside `ParallelMap.map`, which returns
/// when every worker is done; no slot is written while a batch is being digested.
private final class ChunkSlots: @unchecked Sendable {
    private var buffers: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]

    init(count: Int) {
        buffers = Array(repeating: UnsafeMutableRawBufferPointer(start: nil, count: 0), count: count)
        lengths = Array(repeating: 0, count: count)
    }

    /// Slot `i`, exactly `length` bytes long, for the store to fill.
    func slot(_ i: Int, length: Int) -> UnsafeMutableRawBufferPointer {
        if buffers[i].count < length {
            buffers[i].deallocate()
            buffers[i] = .allocate(byteCount: length, alignment: 16)
        }
        lengths[i] = length
        return UnsafeMutableRawBufferPointer(rebasing: buffers[i][0..<length])
    }

    subscript(i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffers[i][0..<lengths[i]])
    }

    func release() {
        for b in buffers { b.deallocate() }
        buffers = []
    }
}
