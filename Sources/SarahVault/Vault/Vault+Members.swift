extension Vault {
    /// Enrols a person (officers only); the change is signed and audited.
    @discardableResult
    public func addMember(name: String, role: Role, unit: String?, publicKey: PublicKey) throws(VaultError) -> Member {
        try require(.manageMembers, action: AuditAction.addMember, AuditLog.Subject(detail: "key=\(publicKey.keyID)"))
        let key = try rosterKey()
        let inherited = try casesInherited(by: role, unit: unit)
        try store.writeTransaction { () throws(VaultError) in
            try Roster(store: store).enrol(
                name: name, role: role, unit: unit, key: publicKey, rosterKey: key, action: AuditAction.addMember,
                by: identity, role: myRole, log: log)
            try handOver(inherited, to: publicKey, role: role)
        }
        return Member(name: name, role: role, unit: unit, keyID: publicKey.keyID, publicKey: publicKey.token)
    }

    /// Enrols everyone in a roster file, all or nothing.
    @discardableResult
    public func importRoster(_ text: String) throws(VaultError) -> [Member] {
        let entries = try RosterFile.parse(text)
        try require(.manageMembers, action: AuditAction.addMember, AuditLog.Subject(detail: "import"))
        let key = try rosterKey()
        var inherited: [[(StoredCase, BoxKeyPair)]] = []
        for e in entries { inherited.append(try casesInherited(by: e.member.role, unit: e.member.unit)) }
        try store.writeTransaction { () throws(VaultError) in
            for (e, cases) in zip(entries, inherited) {
                do throws(VaultError) {
                    try Roster(store: store).enrol(
                        name: e.member.name, role: e.member.role, unit: e.member.unit, key: e.key, rosterKey: key,
                        action: AuditAction.addMember, by: identity, role: myRole, log: log)
                    try handOver(cases, to: e.key, role: e.member.role)
                } catch {
                    throw VaultError(error.code, "roster line \(e.line): \(error.message)", hints: error.hints)
                }
            }
        }
        return entries.map(\.member)
    }

    /// The roster as the acting member may see it.
    public func members() throws(VaultError) -> [Member] {
        try require(.listMembers, action: AuditAction.listMembers)
        let key = try rosterKey()
        let rows = try store.members().filter { $0.removedSeq == nil }
        let members = try rows.map { (row) throws(VaultError) -> Member in try decode(row, rosterKey: key) }
        try store.writeTransaction { () throws(VaultError) in
            try log.append(by: identity, role: myRole, action: AuditAction.listMembers, result: .granted)
        }
        return members
    }

    /// The existing cases a new member is entitled to by role (an officer: all; a unit
    /// manager: their unit's), among those whose keys the enrolling officer holds.
    func casesInherited(by role: Role, unit: String?) throws(VaultError) -> [(StoredCase, BoxKeyPair)] {
        guard role == .officer || (role == .unitManager && unit != nil) else { return [] }
        var out: [(StoredCase, BoxKeyPair)] = []
        for c in try store.cases() {
            guard let key = try openCaseKey(c) else { continue }
            if role == .unitManager {
                guard let unit, let record = try caseRecord(c, key: key), Policy.sameUnit(record.unit, unit) else {
                    continue
                }
            }
            try verifyCaseKeyEntry(c)
            out.append((c, key))
        }
        return out
    }

    /// Seals each case key to a new member, one audited grant each, and the board key to a new
    /// officer or board member, inside the caller's transaction.
    func handOver(_ cases: [(StoredCase, BoxKeyPair)], to key: PublicKey, role: Role) throws(VaultError) {
        if role == .officer || role == .board, let board = try boardKey() {
            try store.putBoardKey(keyID: key.keyID, sealed: BoxKeyPair.seal(board.secretKey, to: key.boxKey))
        }
        let keys = CaseKeys(store: store, log: log)
        for (c, caseKey) in cases {
            try ensureUnchanged(c)
            try keys.seal(caseKey, caseID: c.id, epoch: c.epoch, to: key.keyID, boxPublicKey: key.boxKey)
            try log.append(
                by: identity, role: myRole, action: AuditAction.grant, result: .granted,
                AuditLog.Subject(caseID: c.id, detail: "key=\(key.keyID)"))
        }
    }

    func decode(_ row: StoredMember, rosterKey: SecureBytes) throws(VaultError) -> Member {
        let (name, unit) = try MemberProfile.open(row.profile, keyID: row.keyID, rosterKey: rosterKey)
        guard let role = Role(rawValue: row.role) else {
            throw VaultError(.corrupt, "the roster row of \(row.keyID) has an unknown role")
        }
        let key = PublicKey(boxKey: row.boxPublicKey, signingKey: row.signPublicKey)
        return Member(name: name, role: role, unit: unit, keyID: row.keyID, publicKey: key.token)
    }

    /// Every current member with a verified row, decrypted.
    func verifiedMembers() throws(VaultError) -> [(row: StoredMember, member: Member)] {
        let key = try rosterKey()
        let roster = Roster(store: store)
        return try store.members().filter { $0.removedSeq == nil }.map {
            (row) throws(VaultError) -> (row: StoredMember, member: Member) in
            try roster.verify(row)
            return (row, try decode(row, rosterKey: key))
        }
    }
}
