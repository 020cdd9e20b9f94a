/// The lex Sarah officer's decision (routine 3.6): one of three outcomes.
public enum Outcome: String, Sendable, CaseIterable {
    case notMaladministration = "not-maladministration"
    case maladministration
    case serious

    public init(parsing text: String) throws(VaultError) {
        guard let o = Outcome(rawValue: text.lowercased()) else {
            throw VaultError(
                .invalidInput, "unknown outcome '\(Diarienummer.printable(text))'",
                hints: ["outcomes: " + Outcome.allCases.map(\.rawValue).joined(separator: ", ")])
        }
        self = o
    }
}

extension Vault {
    /// Records the decision on a case; its status becomes `decided:<outcome>`. The status is a
    /// registry field (in clear); the entry that sets it is signed, so `audit verify` catches an
    /// edited status.
    public func decide(caseID rawCase: String, outcome: Outcome) throws(VaultError) {
        let caseID = try Diarienummer.validate(rawCase)
        let status = "decided:" + outcome.rawValue
        try require(.decide, action: AuditAction.decide, AuditLog.Subject(caseID: caseID, detail: "status=\(status)"))
        guard try store.caseRecord(caseID) != nil else { throw unknownCase(caseID, action: AuditAction.decide) }
        try store.writeTransaction { () throws(VaultError) in
            try log.append(
                by: identity, role: myRole, action: AuditAction.decide, result: .granted,
                AuditLog.Subject(caseID: caseID, detail: "status=\(status)"))
            try store.setCaseStatus(caseID: caseID, status: status)
        }
    }
}
