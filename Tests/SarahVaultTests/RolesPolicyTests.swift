import Foundation
import Testing

@testable import SarahVault

/// Issue 3, acceptance 1: every role against every operation, on a case of their unit and of
/// another unit. Allowed exactly when `Policy.default` allows it and, for what needs the case
/// key, the person holds it; every refusal is in the audit log with result `refused`, the
/// attempted action and the actor's key id, and changes nothing.
@Suite struct RolesPolicyTests {
    enum Operation: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case archiveNewCase = "archive a new case"
        case addDocument = "add a document"
        case readContent = "read content"
        case listCases = "cases (registry)"
        case showCase = "show (registry)"
        case showTitle = "show the title"
        case assign
        case grant
        case revoke
        case memberAdd = "member add"
        case memberRemove = "member remove"
        case decide
        case auditLog = "audit log"
        case auditVerify = "audit verify"
        case policySet = "policy set"

        var testDescription: String { rawValue }

        var capability: Policy.Capability {
            switch self {
            case .archiveNewCase: return .archive
            case .addDocument: return .addDocuments
            case .readContent: return .readContent
            case .listCases, .showCase, .showTitle: return .readRegistry
            case .assign: return .assign
            case .grant, .revoke: return .grantRevoke
            case .memberAdd, .memberRemove: return .manageMembers
            case .decide: return .decide
            case .auditLog: return .readAuditLog
            case .auditVerify: return .verifyAuditLog
            case .policySet: return .managePolicy
            }
        }

        /// The action an audit entry records for it.
        var action: String {
            switch self {
            case .archiveNewCase: return "case.archive"
            case .addDocument: return "document.add"
            case .readContent: return "document.read"
            case .listCases: return "case.list"
            case .showCase, .showTitle: return "case.show"
            case .assign: return "case.assign"
            case .grant: return "case.grant"
            case .revoke: return "case.revoke"
            case .memberAdd: return "member.add"
            case .memberRemove: return "member.remove"
            case .decide: return "case.decide"
            case .auditLog: return "audit.log"
            case .auditVerify: return "audit.verify"
            case .policySet: return "policy.set"
            }
        }

        /// Needs the case key besides the capability: content, the sealed registry fields, and
        /// passing the key on. Adding a document is sealed to the case's public key, so the
        /// registrar (and an officer) can add without the key; see the role check at the call.
        var needsKey: Bool {
            switch self {
            case .readContent, .showTitle, .assign, .grant, .revoke: return true
            default: return false
            }
        }

        /// Without the key, `show` still answers (registry fields only); it is not a refusal.
        var keylessIsRefusal: Bool { self != .showTitle }
    }

    /// The case id a refused entry names: the case acted on, a new case's id, or none.
    static func loggedCase(_ op: Operation, _ c: RolesCase) -> String? {
        switch op {
        case .archiveNewCase: return newCaseID(c)
        case .listCases, .memberAdd, .memberRemove, .auditVerify, .policySet: return nil
        default: return c.id
        }
    }

    static func newCaseID(_ c: RolesCase) -> String { c == .a ? "ASN 2022/0901" : "ASN 2022/0902" }

    /// A snapshot of everything an operation could change, read straight from the file.
    struct State: Equatable {
        var cases: [String]
        var statuses: [String]
        var epochs: [Int64]
        var versions: Int64
        var caseKeys: [String]
        var members: [String]
        var policy: [UInt8]?

        init(_ path: String) throws {
            let db = try SQLiteDatabase(path: path, create: false, readOnly: true)
            cases = try db.rows("SELECT case_id FROM cases ORDER BY case_id").compactMap { $0.first?.string }
            statuses = try db.rows("SELECT status FROM cases ORDER BY case_id").compactMap { $0.first?.string }
            epochs = try db.rows("SELECT epoch FROM cases ORDER BY case_id").compactMap { $0.first?.int }
            versions = try db.firstRow("SELECT count(*) FROM versions")?.first?.int ?? -1
            caseKeys = try db.rows("SELECT case_id || '/' || key_id FROM case_keys ORDER BY 1").compactMap {
                $0.first?.string
            }
            members = try db.rows(
                "SELECT key_id || ':' || coalesce(removed_seq, '-') FROM members ORDER BY key_id"
            ).compactMap { $0.first?.string }
            policy = try db.firstRow("SELECT value FROM meta WHERE name = 'policy'")?.first?.bytes
        }
    }

    @Test(arguments: RolesActor.allCases, Operation.allCases)
    func roleAgainstOperation(actor: RolesActor, op: Operation) throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            let me = world[actor]
            let vault = try world.vault(me)
            #expect(vault.actingRole == actor.role)

            for c in RolesCase.allCases {
                let mayByPolicy = actor.allowed(op.capability)
                let holds = actor.holdsKey(c)
                // Adding a document needs only the case's public key — for the registrar, who
                // files without reading, and officers; everyone else must hold the case key.
                let needsKey = op.needsKey || (op == .addDocument && actor.role != .registrar && actor.role != .officer)
                let expected = mayByPolicy && (!needsKey || holds)
                let label = "\(actor.rawValue) · \(op.rawValue) · \(c.testDescription)"
                let before = try State(world.vaultPath)
                let lastSeq = try rolesAuditEntries(world.vaultPath).last?.seq ?? -1
                let out = dir.path("out-\(c.rawValue)")

                var thrown: VaultError?
                do {
                    try perform(op, on: c, vault: vault, world: world, out: out)
                } catch let e as VaultError {
                    thrown = e
                }
                let after = try State(world.vaultPath)
                let fresh = try rolesAuditEntries(world.vaultPath).filter { $0.seq > lastSeq }
                let mine = fresh.filter { $0.actorKeyID == me.keyID && $0.action == op.action }

                let refusedByKeyQuietly = mayByPolicy && needsKey && !holds && !op.keylessIsRefusal
                if expected || refusedByKeyQuietly {
                    #expect(
                        thrown == nil,
                        "\(label): expected allowed, got \(thrown.map { "\($0.code): \($0.message)" } ?? "")")
                    #expect(!fresh.contains { $0.result == .refused }, "\(label): a refusal was logged")
                    #expect(mine.contains { $0.result == .granted }, "\(label): no granted \(op.action) entry")
                    try checkEffect(
                        op, on: c, expected: expected, before: before, after: after, world: world, out: out,
                        label: label)
                } else {
                    #expect(
                        thrown?.code == .refused,
                        "\(label): expected refused, got \(thrown.map { "\($0.code): \($0.message)" } ?? "success")")
                    for secret in [c.title, c.unit, RolesWorld.titleA, RolesWorld.unitA] {
                        #expect(
                            thrown.map { !$0.message.contains(secret) } ?? true, "\(label): the refusal names \(secret)"
                        )
                    }
                    #expect(after == before, "\(label): a refused operation changed the vault")
                    #expect(!FileManager.default.fileExists(atPath: out), "\(label): a refused read wrote a file")
                    let refusals = mine.filter { $0.result == .refused }
                    #expect(
                        refusals.count == 1, "\(label): \(refusals.count) refused \(op.action) entries by the actor")
                    #expect(!mine.contains { $0.result == .granted }, "\(label): also logged as granted")
                    if let r = refusals.first {
                        #expect(r.role == actor.role, "\(label): logged role \(String(describing: r.role))")
                        #expect(r.caseID == Self.loggedCase(op, c), "\(label): logged case \(r.caseID ?? "nil")")
                        #expect(r.verifySignature(), "\(label): refusal entry not signed by the actor")
                    }
                }
            }
            // Granted or refused, the log still verifies.
            #expect(try world.vault(.officer).verify().ok)
        }
    }

    func perform(_ op: Operation, on c: RolesCase, vault: Vault, world: RolesWorld, out: String) throws {
        switch op {
        case .archiveNewCase:
            let file = try world.newFile("ny-anmalan-\(c.rawValue).txt", "Ny anmälan om brister i bemanningen.\n")
            _ = try vault.archive(
                files: [file], diarienummer: Self.newCaseID(c), unit: c.unit, received: "2022-06-01",
                title: "Ny händelse \(c.rawValue)", kind: .report)
        case .addDocument:
            let file = try world.newFile("komplettering-\(c.rawValue).txt", "Komplettering från verksamheten.\n")
            _ = try vault.add(caseID: c.id, files: [file], kind: .other)
        case .readContent:
            try vault.read(caseID: c.id, document: nil, to: .file(out))
        case .listCases:
            let list = try vault.cases()
            for k in RolesCase.allCases {
                let s = try #require(list.first { $0.case == k.id }, "cases lacks \(k.id)")
                let holds = world.actorHolding(vault, k)
                #expect(s.access == holds, "\(k.id): access")
                #expect(s.title == (holds ? k.title : nil), "\(k.id): title")
                #expect(s.unit == (holds ? k.unit : nil), "\(k.id): unit")
                #expect(s.status == "received")
            }
        case .showCase:
            let d = try vault.show(caseID: c.id)
            #expect(d.case == c.id)
            #expect(d.received == (c == .a ? RolesWorld.receivedA : RolesWorld.receivedB))
            #expect(d.status == "received")
            #expect(d.documents.count == 1)
            #expect(d.documents.first?.kind == "report")
            #expect(d.documents.first?.name == (d.access ? c.documentName : nil))
        case .showTitle:
            let d = try vault.show(caseID: c.id)
            try FileManager.default.createDirectory(atPath: out + ".title", withIntermediateDirectories: true)
            if let t = d.title { try Data(t.utf8).write(to: URL(fileURLWithPath: out + ".title/t")) }
            #expect(d.unit == d.title.map { _ in c.unit })
        case .assign:
            try vault.assign(caseID: c.id, to: world[.spareInvestigator].keyID)
        case .grant:
            try vault.grant(caseID: c.id, to: world[.spareInvestigator].keyID)
        case .revoke:
            try vault.revoke(caseID: c.id, from: world[.revokee].keyID)
        case .memberAdd:
            let newcomer = try Identity.generate(name: "Nyanställd \(c.rawValue)")
            try vault.addMember(name: newcomer.name, role: .investigator, unit: nil, publicKey: newcomer.publicKey)
        case .memberRemove:
            try vault.removeMember(world[c == .a ? .removableA : .removableB].keyID)
        case .decide:
            try vault.decide(caseID: c.id, outcome: .maladministration)
        case .auditLog:
            let log = try vault.auditLog(caseID: c.id)
            #expect(log.allSatisfy { $0.caseID == c.id })
            #expect(log.contains { $0.action == "case.archive" && $0.result == .granted })
        case .auditVerify:
            let report = try vault.verify()
            #expect(report.ok, "\(report.problems)")
        case .policySet:
            try vault.setPolicy(Policy.default.text)
        }
    }

    /// What an allowed operation changed, and that nothing else changed.
    func checkEffect(
        _ op: Operation, on c: RolesCase, expected: Bool, before: State, after: State, world: RolesWorld, out: String,
        label: String
    ) throws {
        func holders(_ s: State) -> Set<String> {
            Set(s.caseKeys.filter { $0.hasPrefix(c.id + "/") }.map { String($0.dropFirst(c.id.count + 1)) })
        }
        let idx = try #require(before.cases.firstIndex(of: c.id))
        switch op {
        case .archiveNewCase:
            #expect(after.cases == (before.cases + [Self.newCaseID(c)]).sorted(), "\(label)")
        case .addDocument:
            #expect(after.versions == before.versions + 1, "\(label)")
        case .readContent:
            #expect(try readBytes(out) == c.content, "\(label)")
            #expect(after == before, "\(label)")
        case .listCases, .showCase, .auditLog, .auditVerify:
            #expect(after == before, "\(label)")
        case .showTitle:
            let shown = try? String(contentsOfFile: out + ".title/t", encoding: .utf8)
            #expect(shown == (expected ? c.title : nil), "\(label): title \(shown ?? "nil")")
        case .assign, .grant:
            #expect(holders(after) == holders(before).union([world[.spareInvestigator].keyID]), "\(label)")
            #expect(after.epochs == before.epochs, "\(label)")
        case .revoke:
            #expect(holders(after) == holders(before).subtracting([world[.revokee].keyID]), "\(label)")
            #expect(after.epochs[idx] == before.epochs[idx] + 1, "\(label): the case key was not rotated")
        case .memberAdd:
            #expect(after.members.count == before.members.count + 1, "\(label)")
        case .memberRemove:
            let target = world[c == .a ? .removableA : .removableB].keyID
            #expect(after.members.contains { $0.hasPrefix(target + ":") && !$0.hasSuffix(":-") }, "\(label)")
            #expect(!holders(after).contains(target), "\(label): the removed member still holds the case key")
            #expect(after.epochs[idx] == before.epochs[idx] + 1, "\(label): the case key was not rotated")
        case .decide:
            #expect(after.statuses[idx] == "decided:maladministration", "\(label)")
        case .policySet:
            #expect(after.policy == Array(Policy.default.text.utf8), "\(label)")
            #expect(try world.vault(.officer).currentPolicy() == Policy.default, "\(label)")
        }
    }

    /// The policy table the tests above check is the routine's (issue 3, point 1), spelled out
    /// independently of `Policy.default`, so that a change to the default is a visible decision.
    @Test func theDefaultPolicyIsTheRoutines() {
        let expected: [Role: Set<Policy.Capability>] = [
            .registrar: [.archive, .addDocuments, .readRegistry, .listMembers, .verifyAuditLog],
            .investigator: [.addDocuments, .readContent, .readRegistry, .listMembers, .verifyAuditLog],
            .unitManager: [.addDocuments, .readContent, .readRegistry, .listMembers, .verifyAuditLog],
            .officer: Set(Policy.Capability.allCases),
            .auditor: [.readRegistry, .listMembers, .readAuditLog, .verifyAuditLog],
            .board: [.readBoardSummaries],
        ]
        for role in Role.allCases {
            for cap in Policy.Capability.allCases {
                #expect(
                    Policy.default.allows(role, cap) == (expected[role]?.contains(cap) ?? false),
                    "\(role.rawValue) / \(cap.rawValue)")
            }
        }
        // Content only where a case key can be held; the auditor and the board never read content.
        for role in [Role.registrar, .auditor, .board] { #expect(!Policy.default.allows(role, .readContent)) }
    }

    /// Who holds which key right after archiving is the distribution rule of routine 3.1.
    @Test func caseKeysGoWhereTheRoutineSays() throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            let raw = try RawVault(path: world.vaultPath)
            for c in RolesCase.allCases {
                var expected = Set(RolesActor.allCases.filter { $0.holdsKey(c) }.map { world[$0].keyID })
                expected.insert(world[.revokee].keyID)
                expected.insert(world[c == .a ? .removableA : .removableB].keyID)
                expected.insert("recovery")
                #expect(Set(try raw.caseKeyHolders(caseID: c.id)) == expected, "\(c.id)")
                #expect(try world.vault(.officer).show(caseID: c.id).keyHolders.sorted() == expected.sorted())
            }
        }
    }

    /// A vault's own policy is obeyed: an officer takes read-content from unit managers, and
    /// the manager who holds the key is refused (and logged); giving it back restores access.
    @Test func aVaultPolicyIsObeyedAndItsChangeAudited() throws {
        try withTemporaryDirectory { dir in
            let world = try RolesWorld(in: dir)
            var table = Policy.default.table
            table[.unitManager]?.remove(.readContent)
            let stricter = Policy(table: table)
            try world.vault(.officer).setPolicy(stricter.text)
            #expect(try world.vault(.managerA).currentPolicy() == stricter)

            let e = #expect(throws: VaultError.self) {
                try world.vault(.managerA).read(caseID: RolesWorld.caseA, to: .file(dir.path("out-strict")))
            }
            #expect(e?.code == .refused)
            #expect(!FileManager.default.fileExists(atPath: dir.path("out-strict")))
            let entries = try rolesAuditEntries(world.vaultPath)
            #expect(
                entries.contains {
                    $0.action == "policy.set" && $0.result == .granted && $0.actorKeyID == world[.officer].keyID
                })
            #expect(
                entries.contains {
                    $0.action == "document.read" && $0.result == .refused && $0.actorKeyID == world[.managerA].keyID
                        && $0.caseID == RolesWorld.caseA
                })

            // Someone other than an officer cannot change it back.
            #expect(throws: VaultError.self) { try world.vault(.managerA).setPolicy(Policy.default.text) }
            #expect(try world.vault(.officer).currentPolicy() == stricter)

            try world.vault(.officer).setPolicy(Policy.default.text)
            try world.vault(.managerA).read(caseID: RolesWorld.caseA, to: .file(dir.path("out-again")))
            #expect(try readBytes(dir.path("out-again")) == RolesCase.a.content)
            #expect(try world.vault(.auditor).verify().ok)
        }
    }
}

extension RolesWorld {
    /// Whether the person acting in `vault` holds the case key, by the fixture's rules.
    func actorHolding(_ vault: Vault, _ c: RolesCase) -> Bool {
        guard let a = RolesActor.allCases.first(where: { self[$0].keyID == vault.actingKeyID }) else { return false }
        return a.holdsKey(c)
    }
}
