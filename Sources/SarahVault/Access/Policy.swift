/// What each role may do: roles × capabilities, deny by default.
///
/// The built-in policy follows the Skarpnäck routine: the registrar receives, diarises and
/// distributes but keeps no content key; unit managers read their own unit's cases;
/// investigators read what is distributed to them; the officer reads everything, manages
/// members and access; the auditor reads registry metadata and the whole log, never content;
/// the board sees neither content nor the log.
///
/// The check here is the first gate; the second is cryptographic: content opens only with a
/// case key sealed to the person, which `Distribution` hands out by the same rules.
public struct Policy: Sendable {
    public enum Capability: String, Sendable, CaseIterable {
        case archive  // create a case and archive its first documents
        case addDocuments = "add-documents"
        case readContent = "read-content"
        case readRegistry = "read-registry"
        case manageMembers = "manage-members"
        case listMembers = "list-members"
        case grantRevoke = "grant-revoke"
        case readAuditLog = "read-audit-log"
        case verifyAuditLog = "verify-audit-log"
    }

    private let table: [Role: Set<Capability>]

    public static let `default` = Policy(table: [
        .registrar: [.archive, .addDocuments, .readRegistry, .listMembers, .verifyAuditLog],
        .investigator: [.addDocuments, .readContent, .readRegistry, .listMembers, .verifyAuditLog],
        .unitManager: [.addDocuments, .readContent, .readRegistry, .listMembers, .verifyAuditLog],
        .officer: [
            .archive, .addDocuments, .readContent, .readRegistry, .manageMembers, .listMembers, .grantRevoke,
            .readAuditLog, .verifyAuditLog,
        ],
        .auditor: [.readRegistry, .listMembers, .readAuditLog, .verifyAuditLog],
        .board: [.verifyAuditLog],
    ])

    public func allows(_ role: Role, _ capability: Capability) -> Bool {
        table[role]?.contains(capability) ?? false
    }

    /// Whether a member of `role` in `memberUnit` receives the key of a case of `caseUnit` when
    /// it is archived. Until assignment lands, every investigator does (the routine sends each
    /// report to the investigator at once).
    public func receivesCaseKey(role: Role, memberUnit: String?, caseUnit: String) -> Bool {
        switch role {
        case .officer, .investigator: return true
        case .unitManager: return memberUnit.map { Self.sameUnit($0, caseUnit) } ?? false
        case .registrar, .auditor, .board: return false
        }
    }

    static func sameUnit(_ a: String, _ b: String) -> Bool {
        a.trimmingWhitespace().lowercased() == b.trimmingWhitespace().lowercased()
    }
}
