extension Vault {
    /// Enrols a person (officers only); the change is signed and audited.
    @discardableResult
    public func addMember(name: String, role: Role, unit: String?, publicKey: PublicKey) throws(VaultError) -> Member {
        try require(.manageMembers, action: AuditAction.addMember, AuditLog.Subject(detail: "key=\(publicKey.keyID)"))
        let key = try rosterKey()
        try store.writeTransaction { () throws(VaultError) in
            try Roster(store: store).enrol(
                name: name, role: role, unit: unit, key: publicKey, rosterKey: key, action: AuditAction.addMember,
                by: identity, role: myRole, log: log)
        }
        return Member(name: name, role: role, unit: unit, keyID: publicKey.keyID, publicKey: publicKey.token)
    }

    /// Enrols everyone in a roster file, all or nothing.
    @discardableResult
    public func importRoster(_ text: String) throws(VaultError) -> [Member] {
        let entries = try RosterFile.parse(text)
        try require(.manageMembers, action: AuditAction.addMember, AuditLog.Subject(detail: "import"))
        let key = try rosterKey()
        try store.writeTransaction { () throws(VaultError) in
            for e in entries {
                do throws(VaultError) {
                    try Roster(store: store).enrol(
                        name: e.member.name, role: e.member.role, unit: e.member.unit, key: e.key, rosterKey: key,
                        action: AuditAction.addMember, by: identity, role: myRole, log: log)
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
