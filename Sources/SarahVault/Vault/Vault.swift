import Foundation

/// The façade: everything `sarah-vault` does is a call here. A `Vault` is one person (an
/// unlocked `Identity`) acting on one vault file; every call checks the policy, uses only the
/// keys that person holds, and writes its audit entry in the same transaction as its change
/// (for a read, durably before the first plaintext byte).
public final class Vault {
    let store: any VaultStore
    let identity: Identity
    let vaultID: [UInt8]
    /// The vault's format (`meta.format`): how this vault hashes the ciphertext it stores.
    let format: VaultFormat
    var policy: Policy
    let log: AuditLog
    /// The recovery key made by `create`; nil for a vault opened later. Show it once.
    public private(set) var recoveryKey: RecoveryKey?
    /// The acting person's verified roster row; nil when they are not a member.
    let me: StoredMember?
    var myRole: Role? { me.flatMap { Role(rawValue: $0.role) } }

    private init(
        store: any VaultStore, identity: Identity, vaultID: [UInt8], format: VaultFormat, policy: Policy
    ) throws(VaultError) {
        self.store = store
        self.identity = identity
        self.vaultID = vaultID
        self.format = format
        self.policy = policy
        self.log = AuditLog(store: store, vaultID: vaultID)
        let row = try store.members().first { $0.keyID == identity.keyID && $0.removedSeq == nil }
        self.me = row
        if let row { try Roster(store: store).verify(row) }
    }

    /// Creates a new vault at `path`; `identity` becomes its first member, an officer.
    public static func create(at path: String, identity: Identity, name: String? = nil, unit: String? = nil)
        throws(VaultError) -> Vault
    {
        let store = try SQLiteStore(path: path, create: true)
        do throws(VaultError) {
            let vaultID = Sodium.randomBytes(16)
            let recovery = try RecoveryKey.generate()
            try store.writeTransaction { () throws(VaultError) in
                try store.setMeta("vault_id", vaultID)
                try store.setMeta("format", [VaultFormat.current.rawValue])
                let rosterKey = try Sodium.randomSecret(32)
                try store.setMeta("recovery_key", recovery.publicBytes)
                try store.setMeta(
                    "recovery_roster_key", BoxKeyPair.seal(rosterKey, to: recovery.identity.box.publicKey))
                // The board's key pair: summaries are sealed to it; its secret goes to the board,
                // the officers and the recovery key.
                let board = try BoxKeyPair()
                try store.setMeta("board_public_key", board.publicKey)
                try store.putBoardKey(
                    keyID: identity.keyID, sealed: BoxKeyPair.seal(board.secretKey, to: identity.box.publicKey))
                try store.putBoardKey(
                    keyID: CaseKeys.recoveryHolder,
                    sealed: BoxKeyPair.seal(board.secretKey, to: recovery.identity.box.publicKey))
                let log = AuditLog(store: store, vaultID: vaultID)
                try Roster(store: store).enrol(
                    name: name ?? identity.name, role: .officer, unit: unit, key: identity.publicKey,
                    rosterKey: rosterKey, action: AuditAction.initVault, by: identity, role: .officer, log: log,
                    keyHash: Hash.sha256(recovery.publicBytes, board.publicKey))
            }
            let vault = try Vault(
                store: store, identity: identity, vaultID: vaultID, format: .current, policy: .default)
            vault.recoveryKey = recovery
            return vault
        } catch {
            // A vault that could not be initialised completely is not left half-made.
            unlink(path)
            unlink(path + "-wal")
            unlink(path + "-shm")
            throw error
        }
    }

    /// Opens an existing vault as `identity`. A person who is not a member may open it; every
    /// operation they try is refused and logged.
    public static func open(at path: String, identity: Identity) throws(VaultError) -> Vault {
        let store = try SQLiteStore(path: path, create: false)
        guard let vaultID = try store.meta("vault_id"), vaultID.count == 16 else {
            throw VaultError(.corrupt, "the vault has no valid vault id")
        }
        return try Vault(
            store: store, identity: identity, vaultID: vaultID, format: try VaultFormat.load(store),
            policy: try loadPolicy(store))
    }

    /// The policy in force: the vault's own, checked against the signed entry that set it, or
    /// the built-in default.
    static func loadPolicy(_ store: any VaultStore) throws(VaultError) -> Policy {
        guard let text = try store.meta("policy"), let seqBytes = try store.meta("policy_seq"),
            let seq = Int64(String(decoding: seqBytes, as: UTF8.self))
        else { return .default }
        guard let entryBytes = try store.auditEntry(seq: seq),
            let e = try? AuditEntry(bytes: entryBytes), e.action == AuditAction.setPolicy, e.result == .granted,
            e.dataHash == Hash.sha256(text), e.verifySignature()
        else {
            throw VaultError(.corrupt, "the vault's policy does not match the signed entry that set it")
        }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw VaultError(.corrupt, "the vault's policy is not text")
        }
        return try Policy(parsing: string)
    }

    /// The recovery key's public half (X25519 || Ed25519), checked against the vault's first entry.
    func recoveryPublicKey() throws(VaultError) -> PublicKey? {
        guard let bytes = try store.meta("recovery_key"), bytes.count == 64 else { return nil }
        try checkVaultKeys()
        return PublicKey(boxKey: Array(bytes[0..<32]), signingKey: Array(bytes[32..<64]))
    }

    /// The board's public key, checked against the vault's first entry, or against the
    /// `board.rotate` entry that last replaced it.
    func boardPublicKey() throws(VaultError) -> [UInt8] {
        guard let pk = try store.meta("board_public_key"), pk.count == 32 else {
            throw VaultError(.corrupt, "the vault has no board key")
        }
        if let seqBytes = try store.meta("board_key_seq") {
            guard let seq = Int64(String(decoding: seqBytes, as: UTF8.self)),
                let bytes = try store.auditEntry(seq: seq),
                let e = try? AuditEntry(bytes: bytes), e.action == AuditAction.rotateBoardKey, e.result == .granted,
                e.keyHash == Hash.sha256(pk), e.verifySignature()
            else { throw VaultError(.corrupt, "the vault's board key does not match the signed entry that set it") }
            return pk
        }
        try checkVaultKeys()
        return pk
    }

    /// The first entry's key hash signs SHA-256(recovery X25519 || recovery Ed25519 || the
    /// first board X25519 key); `meta.board_key_0` keeps that first board key once it rotates.
    private func checkVaultKeys() throws(VaultError) {
        let recovery = try store.meta("recovery_key") ?? []
        var board = try store.meta("board_key_0") ?? []
        if board.isEmpty { board = try store.meta("board_public_key") ?? [] }
        guard let first = try store.auditEntry(seq: 0), let e = try? AuditEntry(bytes: first), e.verifySignature(),
            e.keyHash == Hash.sha256(recovery, board)
        else {
            throw VaultError(.corrupt, "the vault's recovery or board key does not match its first, signed entry")
        }
    }

    /// The board key pair, opened with the acting person's sealed copy; nil when they hold none.
    func boardKey() throws(VaultError) -> BoxKeyPair? {
        guard let sealed = try store.boardKey(keyID: identity.keyID) else { return nil }
        guard let secret = try identity.box.open(sealed), let pair = try? BoxKeyPair(secretKey: secret),
            pair.publicKey == (try boardPublicKey())
        else {
            throw VaultError(.authenticationFailed, "your copy of the board key does not open: it was altered or moved")
        }
        return pair
    }

    /// The acting person as the vault knows them.
    public var actingKeyID: String { identity.keyID }
    public var actingRole: Role? { myRole }
    public var id: String { Hex.encode(vaultID) }

    // MARK: gates

    /// Checks the policy; on refusal, logs the refusal (in its own transaction) and throws.
    func require(
        _ capability: Policy.Capability, action: String, _ subject: AuditLog.Subject = AuditLog.Subject()
    ) throws(VaultError) {
        guard let role = myRole else {
            throw refusal(
                action: action, subject,
                message: "you (key \(identity.keyID)) are not a member of this vault",
                hints: ["ask an officer to enrol you: sarah-vault member add --key \(identity.publicKey.token) …"])
        }
        guard policy.allows(role, capability) else {
            throw refusal(
                action: action, subject,
                message:
                    "refused: the role \(role.rawValue) may not \(capability.rawValue.replacingOccurrences(of: "-", with: " "))"
            )
        }
    }

    /// Logs a refusal and returns the error to throw. If even the refusal cannot be logged
    /// the operation is still refused.
    func refusal(action: String, _ subject: AuditLog.Subject, message: String, hints: [String] = [])
        -> VaultError
    {
        var subject = subject
        subject.dataHash = nil
        subject.keyHash = nil
        _ = try? store.writeTransaction { () throws(VaultError) in
            try log.append(by: identity, role: myRole, action: action, result: .refused, subject)
        }
        return VaultError(.refused, message, hints: hints)
    }

    /// The roster key, opened with the acting person's own sealed copy.
    func rosterKey() throws(VaultError) -> SecureBytes {
        guard let me, let key = try identity.box.open(me.sealedRosterKey), key.count == 32 else {
            throw VaultError(.authenticationFailed, "your copy of the roster key does not open")
        }
        return key
    }
}

@available(*, unavailable)
extension Vault: Sendable {}
