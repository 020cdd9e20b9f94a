extension Vault {
    /// Re-establishes access for a new officer from the vault's recovery key, when the officers
    /// who held the case keys have all left: `identity` is enrolled as an officer (signed with
    /// the recovery key) and receives every case key the recovery key holds. Audited.
    public static func recover(
        at path: String, identity: Identity, recoveryKey: RecoveryKey, name: String? = nil, unit: String? = nil
    ) throws(VaultError) -> Vault {
        let vault = try Vault.open(at: path, identity: identity)
        try vault.recover(with: recoveryKey, name: name ?? identity.name, unit: unit)
        return try Vault.open(at: path, identity: identity)
    }

    private func recover(with recovery: RecoveryKey, name: String, unit: String?) throws(VaultError) {
        guard let expected = try recoveryPublicKey(), expected.boxKey == recovery.identity.box.publicKey,
            expected.signingKey == recovery.identity.signing.publicKey
        else {
            throw VaultError(.authenticationFailed, "that recovery key does not belong to this vault")
        }
        guard me == nil else {
            throw VaultError(.alreadyExists, "you (key \(identity.keyID)) are already a member of this vault")
        }
        guard let sealedRoster = try store.meta("recovery_roster_key"),
            let rosterKey = try recovery.identity.box.open(sealedRoster), rosterKey.count == 32
        else {
            throw VaultError(.corrupt, "the vault's recovery copy of the roster key does not open")
        }
        var cases: [(StoredCase, BoxKeyPair)] = []
        for c in try store.cases() {
            guard let (_, sealed) = try store.caseKey(caseID: c.id, keyID: CaseKeys.recoveryHolder) else { continue }
            guard let secret = try recovery.identity.box.open(sealed), let pair = try? BoxKeyPair(secretKey: secret),
                pair.publicKey == c.publicKey
            else {
                throw VaultError(.corrupt, "case \(c.id): the recovery copy of its key does not open")
            }
            try verifyCaseKeyEntry(c)
            cases.append((c, pair))
        }
        var board: BoxKeyPair?
        if let sealed = try store.boardKey(keyID: CaseKeys.recoveryHolder),
            let secret = try recovery.identity.box.open(sealed)
        {
            board = try BoxKeyPair(secretKey: secret)
        }
        let actor = recovery.identity
        try store.writeTransaction { () throws(VaultError) in
            try Roster(store: store).enrol(
                name: name, role: .officer, unit: unit, key: identity.publicKey, rosterKey: rosterKey,
                action: AuditAction.addMember, by: actor, role: .officer, log: log)
            if let board {
                try store.putBoardKey(
                    keyID: identity.keyID, sealed: BoxKeyPair.seal(board.secretKey, to: identity.box.publicKey))
            }
            let keys = CaseKeys(store: store, log: log)
            for (c, key) in cases {
                try keys.seal(
                    key, caseID: c.id, epoch: c.epoch, to: identity.keyID, boxPublicKey: identity.box.publicKey)
                try log.append(
                    by: actor, role: .officer, action: AuditAction.grant, result: .granted,
                    AuditLog.Subject(caseID: c.id, detail: "key=\(identity.keyID)"))
            }
            try log.append(
                by: actor, role: .officer, action: AuditAction.recover, result: .granted,
                AuditLog.Subject(detail: "key=\(identity.keyID) cases=\(cases.count)"))
        }
    }
}
