import Foundation

/// What each role may do: roles × capabilities, deny by default.
///
/// The built-in policy follows the Skarpnäck routine: the registrar receives, diarises and
/// distributes but keeps no content key; unit managers read their own unit's cases;
/// investigators read the cases assigned to them; the officer reads everything, decides,
/// grants and revokes; the auditor reads registry metadata and the whole log, never content;
/// the board sees only de-identified summaries.
///
/// The policy is the first gate; the second is cryptographic: content opens only with a case
/// key sealed to the person, which is handed out by the same rules (`receivesCaseKey`). A
/// vault's own policy can take capabilities away or add them, but it cannot give anyone a key
/// they were never sealed.
public struct Policy: Sendable, Equatable {
    public enum Capability: String, Sendable, CaseIterable, Comparable {
        case archive
        case addDocuments = "add-documents"
        case readContent = "read-content"
        case readRegistry = "read-registry"
        case assign
        case grantRevoke = "grant-revoke"
        case manageMembers = "manage-members"
        case listMembers = "list-members"
        case decide
        case readAuditLog = "read-audit-log"
        case verifyAuditLog = "verify-audit-log"
        case readBoardSummaries = "read-board-summaries"
        case managePolicy = "manage-policy"
        case backup

        public static func < (a: Capability, b: Capability) -> Bool {
            (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
        }

        var phrase: String { rawValue.replacingOccurrences(of: "-", with: " ") }
    }

    public private(set) var table: [Role: Set<Capability>]

    public init(table: [Role: Set<Capability>]) { self.table = table }

    public static let `default` = Policy(table: [
        .registrar: [.archive, .addDocuments, .readRegistry, .listMembers, .verifyAuditLog],
        .investigator: [.addDocuments, .readContent, .readRegistry, .listMembers, .verifyAuditLog],
        .unitManager: [.addDocuments, .readContent, .readRegistry, .listMembers, .verifyAuditLog],
        .officer: Set(Capability.allCases),
        .auditor: [.readRegistry, .listMembers, .readAuditLog, .verifyAuditLog],
        .board: [.readBoardSummaries],
    ])

    public func allows(_ role: Role, _ capability: Capability) -> Bool {
        table[role]?.contains(capability) ?? false
    }

    /// Whether a member receives a new case's key when it is archived (routine 3.1): every
    /// officer, the unit managers of the case's unit, and the investigators named for it.
    static func receivesCaseKey(role: Role, memberUnit: String?, caseUnit: String, named: Bool) -> Bool {
        switch role {
        case .officer: return true
        case .unitManager: return memberUnit.map { sameUnit($0, caseUnit) } ?? false
        case .investigator: return named
        case .registrar, .auditor, .board: return false
        }
    }

    /// Whether a role may hold a case key at all (grant and assign refuse the others).
    static func mayHoldCaseKeys(_ role: Role) -> Bool {
        switch role {
        case .officer, .unitManager, .investigator: return true
        case .registrar, .auditor, .board: return false
        }
    }

    static func sameUnit(_ a: String, _ b: String) -> Bool {
        a.trimmingWhitespace().lowercased() == b.trimmingWhitespace().lowercased()
    }

    // MARK: the policy file

    /// A policy as text: one role a line, `role: capability, capability, …`; `#` comments.
    /// Every role must be listed (an empty list denies everything); the officer must keep
    /// `manage-policy` so that a vault cannot lock itself out of its own policy.
    public init(parsing text: String) throws(VaultError) {
        guard text.utf8.count <= 64 * 1024 else { throw VaultError(.invalidInput, "the policy file is too large") }
        var table: [Role: Set<Capability>] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingWhitespace()
            if line.isEmpty { continue }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw VaultError(.invalidInput, "policy line \(i + 1): expected 'role: capability, …'")
            }
            let role: Role
            do { role = try Role(parsing: String(parts[0]).trimmingWhitespace()) } catch {
                throw VaultError(.invalidInput, "policy line \(i + 1): \(error.message)", hints: error.hints)
            }
            guard table[role] == nil else {
                throw VaultError(.invalidInput, "policy line \(i + 1): \(role.rawValue) appears twice")
            }
            var caps: Set<Capability> = []
            for c in parts[1].split(separator: ",").map({ String($0).trimmingWhitespace() }) where !c.isEmpty {
                guard let cap = Capability(rawValue: c) else {
                    throw VaultError(
                        .invalidInput, "policy line \(i + 1): unknown capability '\(Diarienummer.printable(c))'",
                        hints: ["capabilities: " + Capability.allCases.map(\.rawValue).joined(separator: ", ")])
                }
                caps.insert(cap)
            }
            table[role] = caps
        }
        for role in Role.allCases where table[role] == nil {
            throw VaultError(.invalidInput, "the policy does not list the role \(role.rawValue)")
        }
        guard table[.officer]?.contains(.managePolicy) == true else {
            throw VaultError(
                .invalidInput, "the officer must keep manage-policy, or no one could change the policy again")
        }
        self.table = table
    }

    /// The policy as a file `init(parsing:)` reads back.
    public var text: String {
        Role.allCases.map { role in
            "\(role.rawValue): " + (table[role] ?? []).sorted().map(\.rawValue).joined(separator: ", ")
        }.joined(separator: "\n") + "\n"
    }
}
