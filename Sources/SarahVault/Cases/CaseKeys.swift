/// Handing out and rotating case keys.
///
/// A case key is an X25519 pair; its secret half is sealed to each holder. Granting seals the
/// current secret to one more person. Rotating (on revoke, on removing a member, on a loss)
/// makes a new pair, reseals every version key of the case to the new public key, and seals the
/// new secret only to those who keep access: a copy of the vault taken afterwards opens nothing
/// for the person who lost access — not even the old versions, whose keys are now sealed to the
/// new case key (what they copied before stays theirs; see docs/SECURITY.md).
struct CaseKeys {
    let store: any VaultStore
    let log: AuditLog

    /// The holder ids that receive case keys besides members: the vault's recovery key.
    static let recoveryHolder = "recovery"

    func seal(_ caseKey: BoxKeyPair, caseID: String, epoch: Int64, to keyID: String, boxPublicKey: [UInt8])
        throws(VaultError)
    {
        try store.putCaseKey(
            caseID: caseID, keyID: keyID, epoch: epoch, sealed: BoxKeyPair.seal(caseKey.secretKey, to: boxPublicKey))
    }

    /// Rotates the case key inside the caller's write transaction. `holders` maps every key id
    /// that keeps access to its X25519 public key. Returns the new pair.
    @discardableResult
    func rotate(
        _ c: StoredCase, oldKey: BoxKeyPair, holders: [(keyID: String, boxPublicKey: [UInt8])], action: String,
        detail: String, by identity: Identity, role: Role?
    ) throws(VaultError) -> BoxKeyPair {
        let fresh = try BoxKeyPair()
        let epoch = c.epoch + 1
        for v in try store.versions(caseID: c.id) {
            let (key, name) = try CaseCrypto.openVersionKey(v.sealedKey, with: oldKey)
            try store.setVersionSealedKey(
                vid: v.vid, sealedKey: try CaseCrypto.sealVersionKey(key, name: name, to: fresh.publicKey))
        }
        try store.deleteCaseKeys(caseID: c.id)
        for h in holders {
            try seal(fresh, caseID: c.id, epoch: epoch, to: h.keyID, boxPublicKey: h.boxPublicKey)
        }
        let entry = try log.append(
            by: identity, role: role, action: action, result: .granted,
            AuditLog.Subject(
                caseID: c.id, keyHash: CaseCrypto.publicKeyHash(fresh.publicKey),
                detail: "epoch=\(epoch) " + detail))
        try store.updateCaseKey(caseID: c.id, epoch: epoch, publicKey: fresh.publicKey, keySeq: entry.seq)
        return fresh
    }
}
