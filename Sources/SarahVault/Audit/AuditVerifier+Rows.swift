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
        guard rehash else { return false }
        // Chunks are digested on every core, a batch at a time, and the digests hashed in order.
        let hasher = CiphertextHasher()
        var count: Int64 = 0
        var bytes: Int64 = 0
        var pending: [[UInt8]] = []
        func digestPending() {
            let digests = ParallelMap.map(pending) { chunk in
                chunk.withUnsafeBytes { ChunkedCipher.chunkDigest($0) }
            }
            for d in digests { hasher.add(digest: d) }
            pending.removeAll(keepingCapacity: true)
        }
        try store.forEachChunk(vid: v.vid) { (_, data, _) throws(VaultError) in
            pending.append([UInt8](data))
            count += 1
            bytes += Int64(data.count)
            if pending.count == Self.chunksPerBatch { digestPending() }
        }
        digestPending()
        report.bytesHashed += bytes
        guard hasher.finalize() == e.dataHash, count == v.chunkCount else {
            throw VaultError(
                .corrupt, "\(label): the stored ciphertext does not match the hash signed in audit entry \(v.entrySeq)")
        }
        return true
    }
}
