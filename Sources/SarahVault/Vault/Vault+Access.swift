extension Vault {
    // MARK: policy

    /// The policy in force, for `policy show`.
    public func currentPolicy() throws(VaultError) -> Policy {
        guard myRole != nil else {
            throw refusal(
                action: AuditAction.showPolicy, AuditLog.Subject(),
                message: "you (key \(identity.keyID)) are not a member of this vault")
        }
        return policy
    }

    /// Replaces the vault's policy (officers with manage-policy); the text is signed into the log.
    public func setPolicy(_ text: String) throws(VaultError) {
        let parsed = try Policy(parsing: text)
        try require(.managePolicy, action: AuditAction.setPolicy)
        let canonical = Array(parsed.text.utf8)
        try store.writeTransaction { () throws(VaultError) in
            let e = try log.append(
                by: identity, role: myRole, action: AuditAction.setPolicy, result: .granted,
                AuditLog.Subject(dataHash: Hash.sha256(canonical)))
            try store.setMeta("policy", canonical)
            try store.setMeta("policy_seq", Array(String(e.seq).utf8))
        }
        policy = parsed
    }

    // MARK: handing out keys

    /// Hands an investigator the key of a case (routine 3.1: the report goes to the investigator).
    public func assign(caseID rawCase: String, to keyID: String) throws(VaultError) {
        try share(rawCase, with: keyID, capability: .assign, action: AuditAction.assign, roles: [.investigator])
    }

    /// Gives a member the key of a case (officers).
    public func grant(caseID rawCase: String, to keyID: String) throws(VaultError) {
        try share(rawCase, with: keyID, capability: .grantRevoke, action: AuditAction.grant, roles: nil)
    }

    private func share(
        _ rawCase: String, with keyID: String, capability: Policy.Capability, action: String, roles: Set<Role>?
    ) throws(VaultError) {
        let caseID = try Diarienummer.validate(rawCase)
        let subject = AuditLog.Subject(caseID: caseID, detail: "key=\(Diarienummer.printable(keyID))")
        try require(capability, action: action, subject)
        guard let c = try store.caseRecord(caseID) else { throw unknownCase(caseID, action: action) }
        let target = try member(keyID)
        guard let role = Role(rawValue: target.role), Policy.mayHoldCaseKeys(role), roles?.contains(role) ?? true else {
            throw VaultError(
                .invalidInput, "\(keyID) is a \(target.role): that role does not hold case keys here",
                hints: ["case keys go to officers, unit managers and investigators"])
        }
        guard try store.caseKey(caseID: caseID, keyID: keyID) == nil else {
            throw VaultError(.alreadyExists, "\(keyID) already holds the key to case \(caseID)")
        }
        guard let key = try openCaseKey(c) else {
            throw refusal(
                action: action, subject, message: "refused: you hold no key to case \(caseID), so you cannot pass it on"
            )
        }
        try verifyCaseKeyEntry(c)
        try store.writeTransaction { () throws(VaultError) in
            try ensureUnchanged(c)
            try CaseKeys(store: store, log: log).seal(
                key, caseID: caseID, epoch: c.epoch, to: keyID, boxPublicKey: target.boxPublicKey)
            try log.append(by: identity, role: myRole, action: action, result: .granted, subject)
        }
    }

    /// Takes a member's access to a case away and rotates the case key, so that nothing written
    /// afterwards — and no version key, resealed to the new case key — opens for them from a
    /// copy of the vault taken after this.
    public func revoke(caseID rawCase: String, from keyID: String) throws(VaultError) {
        let caseID = try Diarienummer.validate(rawCase)
        let subject = AuditLog.Subject(caseID: caseID, detail: "key=\(Diarienummer.printable(keyID))")
        try require(.grantRevoke, action: AuditAction.revoke, subject)
        guard let c = try store.caseRecord(caseID) else { throw unknownCase(caseID, action: AuditAction.revoke) }
        guard try store.caseKey(caseID: caseID, keyID: keyID) != nil else {
            throw VaultError(.notFound, "\(Diarienummer.printable(keyID)) holds no key to case \(caseID)")
        }
        guard let key = try openCaseKey(c) else {
            throw refusal(action: AuditAction.revoke, subject, message: "refused: you hold no key to case \(caseID)")
        }
        try verifyCaseKeyEntry(c)
        let holders = try keyHolders(of: caseID, except: [keyID])
        try store.writeTransaction { () throws(VaultError) in
            try ensureUnchanged(c)
            try CaseKeys(store: store, log: log).rotate(
                c, oldKey: key, holders: holders, action: AuditAction.revoke,
                detail: "key=\(keyID) holders=" + holders.map(\.keyID).joined(separator: ","), by: identity,
                role: myRole)
        }
    }

    /// Removes a member: they are revoked from every case they hold (each case key rotates) and
    /// can no longer act in the vault. All in one transaction.
    public func removeMember(_ keyID: String) throws(VaultError) {
        let subject = AuditLog.Subject(detail: "key=\(Diarienummer.printable(keyID))")
        try require(.manageMembers, action: AuditAction.removeMember, subject)
        let target = try member(keyID)
        guard keyID != identity.keyID else {
            throw VaultError(.invalidInput, "you cannot remove yourself", hints: ["ask another officer"])
        }
        let caseIDs = try store.cases(heldBy: keyID)
        var rotations: [(StoredCase, BoxKeyPair, [(keyID: String, boxPublicKey: [UInt8])])] = []
        for caseID in caseIDs {
            guard let c = try store.caseRecord(caseID) else { continue }
            guard let key = try openCaseKey(c) else {
                throw VaultError(
                    .refused,
                    "you hold no key to case \(caseID), which \(keyID) holds: its key cannot be rotated by you",
                    hints: ["an officer holding every case key (or the recovery key) must remove this member"])
            }
            try verifyCaseKeyEntry(c)
            rotations.append((c, key, try keyHolders(of: caseID, except: [keyID])))
        }
        guard let role = Role(rawValue: target.role) else { throw VaultError(.corrupt, "\(keyID) has an unknown role") }
        try store.writeTransaction { () throws(VaultError) in
            let keys = CaseKeys(store: store, log: log)
            for (c, key, holders) in rotations {
                try ensureUnchanged(c)
                try keys.rotate(
                    c, oldKey: key, holders: holders, action: AuditAction.revoke,
                    detail: "key=\(keyID) holders=" + holders.map(\.keyID).joined(separator: ","), by: identity,
                    role: myRole)
            }
            if try store.boardKey(keyID: keyID) != nil { try rotateBoardKey(except: keyID) }
            let e = try log.append(
                by: identity, role: myRole, action: AuditAction.removeMember, result: .granted,
                AuditLog.Subject(
                    dataHash: MemberProfile.recordHash(target, role: role),
                    detail: "key=\(keyID) cases=\(rotations.count)"))
            try store.setMemberRemoved(keyID: keyID, seq: e.seq)
        }
    }

    /// Inside a write transaction: fails if the case's key changed since it was read (another
    /// user rotated it meanwhile), so nothing is sealed with, or rotated from, a stale key.
    func ensureUnchanged(_ c: StoredCase) throws(VaultError) {
        guard let now = try store.caseRecord(c.id), now.epoch == c.epoch, now.publicKey == c.publicKey else {
            throw VaultError(
                .busy, "case \(c.id) had its key rotated by someone else meanwhile: nothing was changed",
                hints: ["run the command again"])
        }
    }

    /// A current member's verified row.
    func member(_ keyID: String) throws(VaultError) -> StoredMember {
        guard let row = try store.members().first(where: { $0.keyID == keyID && $0.removedSeq == nil }) else {
            throw VaultError(
                .notFound, "no member with key id \(Diarienummer.printable(keyID))",
                hints: ["see key ids with 'sarah-vault member list'"])
        }
        try Roster(store: store).verify(row)
        return row
    }

    /// Everyone who holds a case's key now (members and the recovery key), with the public key
    /// to seal a new case key to, less `except`.
    func keyHolders(of caseID: String, except: Set<String>) throws(VaultError) -> [(
        keyID: String, boxPublicKey: [UInt8]
    )] {
        var out: [(keyID: String, boxPublicKey: [UInt8])] = []
        for k in try store.caseKeyHolders(caseID: caseID) where !except.contains(k) {
            if k == CaseKeys.recoveryHolder {
                if let r = try recoveryPublicKey() { out.append((k, r.boxKey)) }
            } else if let m = try? member(k) {
                out.append((k, m.boxPublicKey))
            }
        }
        return out
    }
}
