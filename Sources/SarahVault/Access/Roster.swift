/// The roster: enrolling members and checking that a stored member row is exactly what a
/// signed audit entry enrolled.
struct Roster {
    let store: any VaultStore

    /// Enrols one person inside the caller's write transaction: their profile is encrypted
    /// under the roster key, the roster key is sealed to them, and the enrolling entry signs
    /// the record's hash.
    @discardableResult
    func enrol(
        name: String, role: Role, unit: String?, key: PublicKey, rosterKey: SecureBytes, action: String,
        by actor: Identity, role actorRole: Role?, log: AuditLog, keyHash: [UInt8]? = nil
    ) throws(VaultError) -> StoredMember {
        let keyID = key.keyID
        if try store.members().contains(where: { $0.keyID == keyID }) {
            throw VaultError(.alreadyExists, "key \(keyID) is already enrolled")
        }
        try Self.validateText(name, what: "a name")
        if let unit { try Self.validateText(unit, what: "a unit") }
        var row = StoredMember(
            keyID: keyID, role: role.rawValue, boxPublicKey: key.boxKey, signPublicKey: key.signingKey,
            profile: MemberProfile.seal(name: name, unit: unit, keyID: keyID, rosterKey: rosterKey),
            // The board sees summaries, not who works where: it gets no roster key.
            sealedRosterKey: try role == .board ? [] : BoxKeyPair.seal(rosterKey, to: key.boxKey), entrySeq: -1,
            removedSeq: nil)
        let entry = try log.append(
            by: actor, role: actorRole, action: action, result: .granted,
            AuditLog.Subject(
                dataHash: MemberProfile.recordHash(row, role: role), keyHash: keyHash,
                detail: "key=\(keyID) role=\(role.rawValue)"))
        row.entrySeq = entry.seq
        try store.insertMember(row)
        return row
    }

    static func validateText(_ s: String, what: String) throws(VaultError) {
        guard !s.trimmingWhitespace().isEmpty, s.utf8.count <= 200 else {
            throw VaultError(.invalidInput, "\(what) must be 1 to 200 bytes")
        }
        // C0, DEL and C1 controls, bidi controls and line separators: none can redraw or
        // reorder a terminal line when the text is printed (`TerminalText`).
        guard
            !s.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control || TerminalText.isBidiControl($0) || $0.value == 0x2028
                    || $0.value == 0x2029
            })
        else {
            throw VaultError(.invalidInput, "\(what) must not contain control characters")
        }
        if Personnummer.containsPersonnummer(s) {
            throw VaultError(.invalidInput, "\(what) must not contain a personnummer")
        }
    }

    /// Checks a member row against the entry that enrolled it: the entry exists, enrolls this
    /// key with this record hash, is signed, and was made by an officer (or is the vault's
    /// first entry, made by the first officer themself).
    func verify(_ m: StoredMember) throws(VaultError) {
        guard let role = Role(rawValue: m.role) else {
            throw VaultError(.corrupt, "the roster row of \(m.keyID) has an unknown role")
        }
        guard PublicKey(boxKey: m.boxPublicKey, signingKey: m.signPublicKey).keyID == m.keyID else {
            throw VaultError(.corrupt, "the roster row of \(m.keyID) holds keys of another key id")
        }
        guard let bytes = try store.auditEntry(seq: m.entrySeq) else {
            throw VaultError(.corrupt, "the roster row of \(m.keyID) names audit entry \(m.entrySeq), which is missing")
        }
        let entry = try AuditEntry(bytes: bytes)
        let isInit = entry.action == AuditAction.initVault && entry.seq == 0
        guard entry.seq == m.entrySeq, entry.action == AuditAction.addMember || isInit, entry.result == .granted,
            entry.dataHash == MemberProfile.recordHash(m, role: role), entry.verifySignature()
        else {
            throw VaultError(
                .corrupt, "the roster row of \(m.keyID) does not match its signed audit entry \(m.entrySeq)")
        }
        if isInit {
            guard entry.actorSigningKey == m.signPublicKey else {
                throw VaultError(.corrupt, "the vault's first entry was not made by its first officer")
            }
        } else if let recovery = try store.meta("recovery_key"), recovery.count == 64,
            Array(recovery[32..<64]) == entry.actorSigningKey
        {
            // enrolled by `recover`, signed with the vault's recovery key
        } else {
            guard entry.role == .officer,
                let signer = try store.members().first(where: { $0.keyID == entry.actorKeyID }),
                signer.signPublicKey == entry.actorSigningKey, signer.entrySeq < entry.seq,
                signer.removedSeq.map({ $0 > entry.seq }) ?? true
            else {
                throw VaultError(.corrupt, "the roster row of \(m.keyID) was not enrolled by an officer")
            }
        }
    }
}
