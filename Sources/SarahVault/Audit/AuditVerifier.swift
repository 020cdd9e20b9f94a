/// Verifies a vault without any content key: every audit entry (format, sequence, chain link,
/// vault id, signature, that its actor was a member with that key when they acted), every
/// roster row, every case key, and every stored ciphertext against the signed hash that wrote
/// it. Every index and length is checked, not assumed.
struct AuditVerifier {
    let store: any VaultStore
    let vaultID: [UInt8]

    public struct Problem: Sendable, Equatable {
        /// The first bad entry's seq, when the problem is in the log itself.
        var seq: Int64?
        var message: String
    }

    func run(progress: ((String) -> Void)? = nil) throws(VaultError) -> VerificationReport {
        var problems: [Problem] = []
        var report = VerificationReport()
        try store.readTransaction { () throws(VaultError) in
            let members = try store.members()
            let signers = Dictionary(members.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
            let recoverySigner = try store.meta("recovery_key").flatMap { $0.count == 64 ? Array($0[32..<64]) : nil }
            // What the signed entries say the key holders of each case and the removed members are.
            var holders: [String: Set<String>] = [:]
            var removedAt: [String: Int64] = [:]
            var statuses: [String: String] = [:]

            // 1. The log: a chain of signed entries, numbered 0, 1, 2, … without gaps.
            var expected: Int64 = 0
            var previous = [UInt8](repeating: 0, count: 32)
            var leaves: [[UInt8]] = []
            try store.forEachAuditEntry(from: 0) { (rowSeq, bytes) throws(VaultError) in
                guard problems.isEmpty else { return }
                let entry: AuditEntry
                do throws(VaultError) {
                    entry = try AuditEntry(bytes: bytes)
                } catch {
                    problems.append(Problem(seq: rowSeq, message: "audit entry \(rowSeq) is malformed: \(error.message)"))
                    return
                }
                if entry.seq != rowSeq || rowSeq != expected {
                    let what = rowSeq == expected ? "is stored as \(rowSeq) but says \(entry.seq)" : "is missing or out of order (found \(rowSeq))"
                    problems.append(Problem(seq: expected, message: "audit entry \(expected) \(what)"))
                    return
                }
                if entry.vaultID != vaultID {
                    problems.append(Problem(seq: rowSeq, message: "audit entry \(rowSeq) belongs to another vault"))
                } else if entry.previousHash != previous {
                    problems.append(
                        Problem(seq: rowSeq, message: "audit entry \(rowSeq) does not link to entry \(rowSeq - 1): an entry was edited, deleted or reordered"))
                } else if !entry.verifySignature() {
                    problems.append(Problem(seq: rowSeq, message: "audit entry \(rowSeq): the signature does not verify (edited)"))
                } else if entry.role != nil && entry.actorSigningKey != recoverySigner {
                    let isInit = rowSeq == 0 && entry.action == AuditAction.initVault
                    if let m = signers[entry.actorKeyID], m.signPublicKey == entry.actorSigningKey,
                        m.entrySeq < rowSeq || (isInit && m.entrySeq == 0), m.role == entry.role?.rawValue,
                        m.removedSeq.map({ rowSeq < $0 }) ?? true
                    {
                        // a member acting as themself, while a member
                    } else {
                        problems.append(
                            Problem(seq: rowSeq, message: "audit entry \(rowSeq): its actor \(entry.actorKeyID) was not a member with that key and role"))
                    }
                }
                if entry.result == .granted, let c = entry.caseID {
                    if entry.keyHash != nil, entry.document == nil, let h = entry.detailValue("holders") {
                        holders[c] = Set(h.split(separator: ",").map(String.init))
                    } else if entry.action == AuditAction.grant || entry.action == AuditAction.assign,
                        let k = entry.detailValue("key")
                    {
                        holders[c, default: []].insert(k)
                    }
                }
                if entry.result == .granted, entry.action == AuditAction.decide, let c = entry.caseID,
                    let st = entry.detailValue("status")
                {
                    statuses[c] = st
                }
                if entry.result == .granted, entry.action == AuditAction.removeMember, let k = entry.detailValue("key") {
                    removedAt[k] = rowSeq
                }
                previous = AuditEntry.leafHash(of: bytes)
                leaves.append(previous)
                expected += 1
                if expected % 10_000 == 0 { progress?("verified \(expected) entries") }
            }
            report.entries = expected
            report.headHash = Hex.encode(previous)
            if expected == 0 { problems.append(Problem(seq: 0, message: "the audit log is empty")) }
            guard problems.isEmpty else { return }

            // 2. The roster.
            let roster = Roster(store: store)
            for m in members {
                do throws(VaultError) { try roster.verify(m) } catch { problems.append(Problem(seq: m.entrySeq, message: error.message)) }
                if m.removedSeq != removedAt[m.keyID] {
                    problems.append(
                        Problem(seq: m.removedSeq, message: "member \(m.keyID): the roster says removed at \(m.removedSeq.map(String.init) ?? "never"), the signed log says \(removedAt[m.keyID].map(String.init) ?? "never")"))
                }
            }
            report.members = members.count

            // 3. Case keys and every stored ciphertext, without a key.
            for c in try store.cases() {
                do throws(VaultError) {
                    guard let bytes = try store.auditEntry(seq: c.keySeq) else {
                        throw VaultError(.corrupt, "case \(c.id): its key entry \(c.keySeq) is missing")
                    }
                    let e = try AuditEntry(bytes: bytes)
                    guard e.caseID == c.id, e.keyHash == CaseCrypto.publicKeyHash(c.publicKey) else {
                        throw VaultError(.corrupt, "case \(c.id): its public key does not match signed audit entry \(c.keySeq)")
                    }
                    let stored = Set(try store.caseKeyHolders(caseID: c.id))
                    let signed = holders[c.id] ?? []
                    guard stored == signed else {
                        let missing = signed.subtracting(stored).sorted().joined(separator: ",")
                        let extra = stored.subtracting(signed).sorted().joined(separator: ",")
                        throw VaultError(
                            .corrupt,
                            "case \(c.id): its key holders differ from the signed log (missing: \(missing.isEmpty ? "none" : missing); not granted: \(extra.isEmpty ? "none" : extra))")
                    }
                    guard c.status == statuses[c.id] ?? "received" else {
                        throw VaultError(.corrupt, "case \(c.id): its status '\(c.status)' is not the one the signed log set")
                    }
                    guard String(c.epoch) == e.detailValue("epoch") else {
                        throw VaultError(.corrupt, "case \(c.id): its key epoch does not match signed audit entry \(c.keySeq)")
                    }
                    guard let created = try store.auditEntry(seq: c.createdSeq).map({ (b) throws(VaultError) in try AuditEntry(bytes: b) }),
                        created.action == AuditAction.archiveCase, created.caseID == c.id,
                        created.dataHash == CaseCrypto.registryHash(caseID: c.id, received: c.received)
                    else {
                        throw VaultError(.corrupt, "case \(c.id): its registry fields do not match signed audit entry \(c.createdSeq)")
                    }
                } catch {
                    problems.append(Problem(seq: nil, message: error.message))
                }
                report.cases += 1
            }
            for v in try store.allVersions() {
                let label = "case \(v.caseID) document \(v.document) version \(v.version)"
                do throws(VaultError) {
                    guard let bytes = try store.auditEntry(seq: v.entrySeq) else {
                        throw VaultError(.corrupt, "\(label): its audit entry \(v.entrySeq) is missing")
                    }
                    let e = try AuditEntry(bytes: bytes)
                    let kind = try store.documents(caseID: v.caseID).first { $0.number == v.document }?.kind
                    guard e.action == AuditAction.addDocument, e.caseID == v.caseID, e.document == v.document,
                        e.version == v.version, e.keyHash == v.keyCommitment, e.detailValue("size") == String(v.size),
                        e.detailValue("chunks") == String(v.chunkCount), e.detailValue("kind") == kind
                    else {
                        throw VaultError(.corrupt, "\(label): its row does not match signed audit entry \(v.entrySeq)")
                    }
                    let hasher = CiphertextHasher()
                    var count: Int64 = 0
                    try store.forEachChunk(vid: v.vid) { (_, data, _) throws(VaultError) in
                        hasher.add(sealed: data)
                        count += 1
                        report.bytesHashed += Int64(data.count)
                    }
                    guard hasher.finalize() == e.dataHash, count == v.chunkCount, e.dataHash == v.ciphertextHash else {
                        throw VaultError(
                            .corrupt, "\(label): the stored ciphertext does not match the hash signed in audit entry \(v.entrySeq)")
                    }
                } catch {
                    problems.append(Problem(seq: nil, message: error.message))
                }
                report.versions += 1
            }
            report.treeRoot = Hex.encode(MerkleTree.root(leafHashes: leaves))
        }
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
}
