import Foundation

/// A case as the board sees it: registry fields and the officer's de-identified summary.
public struct BoardSummary: Sendable, Codable, Equatable {
    public var `case`: String
    public var received: String
    public var status: String
    public var version: Int64
    public var summary: String
}

/// Board summaries (routine 3.8 and 5: the board is informed, without what identifies the
/// person). Each summary has a one-shot key `K` sealed to the board's public key;
/// the text is XChaCha20-Poly1305 under `K` with a random nonce and associated data
/// "sarahvault/v1/summary" || vault id || u8 len || case id || u32 version. The signed entry
/// carries SHA-256(body) and the key commitment of `K` (so resealing `K` to a new board key
/// changes neither). Removing a member who held the board key rotates it.
extension Vault {
    static func summaryBinding(vaultID: [UInt8], caseID: String, version: Int64) -> [UInt8] {
        var w = ByteWriter()
        w.append(Array("sarahvault/v1/summary".utf8))
        w.append(vaultID)
        w.short(caseID)
        w.u32(UInt32(version))
        return w.bytes
    }

    /// Writes a new version of a case's board summary (officers). The text must identify no
    /// one: it is refused if it holds a personnummer.
    @discardableResult
    public func writeSummary(caseID rawCase: String, text: String) throws(VaultError) -> Int64 {
        let caseID = try Diarienummer.validate(rawCase)
        guard !text.trimmingWhitespace().isEmpty, text.utf8.count <= 64 * 1024 else {
            throw VaultError(.invalidInput, "a summary must be 1 byte to 64 KiB of text")
        }
        if Personnummer.containsPersonnummer(text) {
            throw VaultError(
                .invalidInput, "the summary contains a personnummer: the board must not see who a case concerns")
        }
        try require(.decide, action: AuditAction.writeSummary, AuditLog.Subject(caseID: caseID))
        guard try store.caseRecord(caseID) != nil else { throw unknownCase(caseID, action: AuditAction.writeSummary) }
        let boardPK = try boardPublicKey()
        let version = (try store.summaries().filter { $0.caseID == caseID }.map(\.version).max() ?? 0) + 1
        let key = try Sodium.randomSecret(32)
        let nonce = Sodium.randomBytes(AEAD.nonceBytes)
        let body =
            nonce
            + AEAD.seal(
                Array(text.utf8), key: key, nonce: nonce,
                ad: Self.summaryBinding(vaultID: vaultID, caseID: caseID, version: version))
        let sealedKey = try BoxKeyPair.seal(key, to: boardPK)
        try store.writeTransaction { () throws(VaultError) in
            let e = try log.append(
                by: identity, role: myRole, action: AuditAction.writeSummary, result: .granted,
                AuditLog.Subject(
                    caseID: caseID, dataHash: Hash.sha256(body), keyHash: ChunkedCipher.keyCommitment(key),
                    detail: "version=\(version)"))
            try store.insertSummary(
                StoredSummary(caseID: caseID, version: version, sealedKey: sealedKey, body: body, entrySeq: e.seq))
        }
        return version
    }

    /// The latest summary of every case that has one, for the board (and officers).
    public func summaries() throws(VaultError) -> [BoardSummary] {
        try require(.readBoardSummaries, action: AuditAction.readSummaries)
        guard let board = try boardKey() else {
            throw refusal(
                action: AuditAction.readSummaries, AuditLog.Subject(),
                message: "refused: you hold no copy of the board key")
        }
        var latest: [String: StoredSummary] = [:]
        for s in try store.summaries() where s.version > (latest[s.caseID]?.version ?? 0) { latest[s.caseID] = s }
        var out: [BoardSummary] = []
        for s in latest.values.sorted(by: { $0.caseID < $1.caseID }) {
            guard let c = try store.caseRecord(s.caseID) else { continue }
            out.append(
                BoardSummary(
                    case: c.id, received: c.received, status: c.status, version: s.version,
                    summary: try open(s, with: board)))
        }
        try store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.readSummaries, result: .granted,
                AuditLog.Subject(detail: "count=\(out.count)"))
        }
        return out
    }

    private func open(_ s: StoredSummary, with board: BoxKeyPair) throws(VaultError) -> String {
        let what = "the board summary of case \(s.caseID) version \(s.version)"
        guard let entryBytes = try store.auditEntry(seq: s.entrySeq), let e = try? AuditEntry(bytes: entryBytes),
            e.action == AuditAction.writeSummary, e.caseID == s.caseID, e.dataHash == Hash.sha256(s.body),
            e.verifySignature()
        else { throw VaultError(.corrupt, "\(what) does not match its signed audit entry") }
        guard let key = try board.open(s.sealedKey), key.count == 32,
            Sodium.constantTimeEqual(ChunkedCipher.keyCommitment(key), e.keyHash ?? []), s.body.count >= AEAD.nonceBytes
        else { throw VaultError(.authenticationFailed, "\(what): its key does not open") }
        let nonce = Array(s.body[0..<AEAD.nonceBytes])
        let ct = Array(s.body[AEAD.nonceBytes...])
        guard
            let plain = try AEAD.openSecret(
                ct, key: key, nonce: nonce,
                ad: Self.summaryBinding(vaultID: vaultID, caseID: s.caseID, version: s.version)),
            let text = String(validating: plain.unsafeCopy(), as: UTF8.self)
        else { throw VaultError(.authenticationFailed, "\(what) does not decrypt: it was altered or moved") }
        return text
    }
}

extension Vault {
    /// Makes a new board key pair inside the caller's transaction: every summary key is resealed
    /// to it and its secret goes to the remaining holders only, so a removed member's old copy
    /// opens nothing written afterwards — nor, from a later copy of the vault, anything before.
    func rotateBoardKey(except removed: String) throws(VaultError) {
        guard let old = try boardKey() else {
            throw VaultError(
                .refused, "you hold no board key, so you cannot rotate it", hints: ["an officer must do this"])
        }
        let fresh = try BoxKeyPair()
        for s in try store.summaries() {
            guard let key = try old.open(s.sealedKey) else {
                throw VaultError(
                    .corrupt, "the board summary of case \(s.caseID) version \(s.version): its key does not open")
            }
            try store.setSummarySealedKey(
                caseID: s.caseID, version: s.version, sealed: BoxKeyPair.seal(key, to: fresh.publicKey))
        }
        var holders: [(String, [UInt8])] = []
        for k in try store.boardKeyHolders() where k != removed {
            if k == CaseKeys.recoveryHolder {
                if let r = try recoveryPublicKey() { holders.append((k, r.boxKey)) }
            } else if let m = try? member(k) {
                holders.append((k, m.boxPublicKey))
            }
        }
        try store.deleteBoardKeys()
        for (k, pk) in holders { try store.putBoardKey(keyID: k, sealed: BoxKeyPair.seal(fresh.secretKey, to: pk)) }
        let e = try log.append(
            by: identity, role: myRole, action: AuditAction.rotateBoardKey, result: .granted,
            AuditLog.Subject(
                keyHash: Hash.sha256(fresh.publicKey),
                detail: "key=\(removed) holders=" + holders.map(\.0).joined(separator: ",")))
        if try store.meta("board_key_0") == nil, let first = try store.meta("board_public_key") {
            try store.setMeta("board_key_0", first)
        }
        try store.setMeta("board_public_key", fresh.publicKey)
        try store.setMeta("board_key_seq", Array(String(e.seq).utf8))
    }
}
