/// What the signed log says about the vault's rows, read entry by entry in order: who holds each
/// case's key, each case's status, and when members were removed.
///
/// `audit verify` compares the stored rows with it at the end of the log; `audit review` asks
/// it, at each read, who held the case at that moment. Only granted entries count: a refused
/// attempt changes nothing.
struct SignedHistory {
    /// Case id → key ids holding the case key (members, and `CaseKeys.recoveryHolder`).
    private(set) var holders: [String: Set<String>] = [:]
    /// Case id → the status the latest `case.decide` set.
    private(set) var statuses: [String: String] = [:]
    /// Key id → the seq of the `member.remove` entry that removed them.
    private(set) var removedAt: [String: Int64] = [:]

    mutating func apply(_ entry: AuditEntry) {
        guard entry.result == .granted else { return }
        if let c = entry.caseID {
            if entry.keyHash != nil, entry.document == nil, let h = entry.detailValue("holders") {
                // A new case key (archive, revoke, a lost checkout): its holders are named whole.
                holders[c] = Set(h.split(separator: ",").map(String.init))
            } else if entry.action == AuditAction.grant || entry.action == AuditAction.assign,
                let k = entry.detailValue("key")
            {
                holders[c, default: []].insert(k)
            }
            if entry.action == AuditAction.decide, let status = entry.detailValue("status") {
                statuses[c] = status
            }
        }
        if entry.action == AuditAction.removeMember, let k = entry.detailValue("key") {
            removedAt[k] = entry.seq
        }
    }

    /// Whether `keyID` held the key of `caseID` as of the entries applied so far.
    func holds(_ keyID: String, _ caseID: String) -> Bool {
        holders[caseID]?.contains(keyID) ?? false
    }
}
