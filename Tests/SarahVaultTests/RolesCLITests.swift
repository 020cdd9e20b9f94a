import Foundation
import Testing

@testable import SarahVault

/// Issue 3, acceptance 6: `grant`, `revoke`, `cases` and `show` (with `--json`) behave as
/// shared/design/CLI.md says, for every role: exit 0 on success; exit 1 for a refusal with one
/// `sarah-vault: error:` line and no plaintext; `cases --json` has case/received/status; `show`
/// without the case key has no title.
@Suite struct RolesCLITests {
    /// The binary: $SARAH_VAULT_BIN, else this build's (`.build-roles`), else what CLITests finds.
    static let binary: String? = sarahVaultBinary()

    /// The fixture world with every actor's identity in a file (KDF interactive), and a command
    /// line for each.
    struct World {
        let world: RolesWorld
        let files: [RolesActor: String]
        let cli: CLITests.CLI

        init(_ dir: TemporaryDirectory) throws {
            let bin = try #require(
                RolesCLITests.binary,
                "sarah-vault not found: build with --scratch-path .build-roles or set SARAH_VAULT_BIN")
            world = try RolesWorld(in: dir)
            var files: [RolesActor: String] = [:]
            for a in RolesActor.allCases {
                let path = dir.path("\(a).id".replacingOccurrences(of: " ", with: "_"))
                try world[a].write(to: path, passphrase: try passphrase(CLITests.pass), kdf: .interactive)
                files[a] = path
            }
            self.files = files
            cli = CLITests.CLI(dir: dir, binary: bin, identity: files[.officer]!, vault: world.vaultPath)
        }

        func run(_ a: RolesActor, _ args: [String]) throws -> CLITests.Result {
            try cli.as(files[a]!).run(args)
        }
    }

    /// Every confidential string of the fixture.
    static func secrets(of cases: [RolesCase]) -> [String] {
        cases.flatMap { [$0.title, $0.unit, $0.documentName, String(decoding: $0.content, as: UTF8.self)] }
    }

    static func expectNoSecrets(
        _ r: CLITests.Result, of cases: [RolesCase], _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for s in secrets(of: cases) {
            #expect(!contains(r.stdout, Array(s.utf8)), "\(label): stdout holds \(s)", sourceLocation: sourceLocation)
            #expect(!contains(r.stderr, Array(s.utf8)), "\(label): stderr holds \(s)", sourceLocation: sourceLocation)
        }
    }

    /// A refusal: exit 1, nothing on stdout, one error line first and only hints after it, no secret.
    static func expectRefusal(_ r: CLITests.Result, _ label: String, sourceLocation: SourceLocation = #_sourceLocation)
    {
        #expect(r.status == 1, "\(label): exit \(r.status): \(r.err)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "\(label): stdout \(r.out)", sourceLocation: sourceLocation)
        CLITests().expectOneErrorLine(r, sourceLocation: sourceLocation)
        expectNoSecrets(r, of: RolesCase.allCases, label, sourceLocation: sourceLocation)
    }

    static func refusalLogged(_ w: World, _ a: RolesActor, action: String, caseID: String) throws -> Int {
        try rolesAuditEntries(w.world.vaultPath).filter {
            $0.actorKeyID == w.world[a].keyID && $0.action == action && $0.result == .refused && $0.caseID == caseID
        }.count
    }

    @Test(arguments: RolesActor.allCases)
    func casesAndShowAsEachRoleSeesThem(actor: RolesActor) throws {
        try withTemporaryDirectory { dir in
            let w = try World(dir)
            let mayReadRegistry = actor.allowed(.readRegistry)
            let held = RolesCase.allCases.filter { actor.holdsKey($0) }
            let notHeld = RolesCase.allCases.filter { !actor.holdsKey($0) }

            // cases --json
            let cases = try w.run(actor, ["cases", "--json"])
            if mayReadRegistry {
                #expect(cases.status == 0, "\(cases.err)")
                let list = try #require(
                    try JSONSerialization.jsonObject(with: Data(cases.stdout)) as? [[String: Any]], "\(cases.out)")
                #expect(Set(list.compactMap { $0["case"] as? String }) == Set(RolesCase.allCases.map(\.id)))
                for c in RolesCase.allCases {
                    let e = try #require(list.first { $0["case"] as? String == c.id })
                    #expect(e["received"] as? String == (c == .a ? RolesWorld.receivedA : RolesWorld.receivedB))
                    #expect(e["status"] as? String == "received")
                    #expect(e["title"] as? String == (actor.holdsKey(c) ? c.title : nil), "\(c.id)")
                    #expect(e["unit"] as? String == (actor.holdsKey(c) ? c.unit : nil), "\(c.id)")
                }
                Self.expectNoSecrets(cases, of: notHeld, "cases --json")
                // The table for people too: sealed where there is no key.
                let table = try w.run(actor, ["cases"])
                #expect(table.status == 0)
                for c in held { #expect(table.out.contains(c.title)) }
                Self.expectNoSecrets(table, of: notHeld, "cases")
            } else {
                Self.expectRefusal(cases, "cases --json")
                #expect(
                    try rolesAuditEntries(w.world.vaultPath).contains {
                        $0.actorKeyID == w.world[actor].keyID && $0.action == "case.list" && $0.result == .refused
                    })
            }

            // show CASE --json and show CASE
            for c in RolesCase.allCases {
                let show = try w.run(actor, ["show", c.id, "--json"])
                let human = try w.run(actor, ["show", c.id])
                if mayReadRegistry {
                    #expect(show.status == 0, "\(show.err)")
                    #expect(human.status == 0, "\(human.err)")
                    let d = try #require(
                        try JSONSerialization.jsonObject(with: Data(show.stdout)) as? [String: Any], "\(show.out)")
                    #expect(d["case"] as? String == c.id)
                    #expect(d["received"] is String && d["status"] as? String == "received")
                    let docs = try #require(d["documents"] as? [[String: Any]])
                    #expect(docs.count == 1)
                    if actor.holdsKey(c) {
                        #expect(d["title"] as? String == c.title)
                        #expect(d["unit"] as? String == c.unit)
                        #expect(docs.first?["name"] as? String == c.documentName)
                        #expect(human.out.contains(c.title))
                    } else {
                        #expect(d["title"] == nil || d["title"] is NSNull, "show --json without the key has a title")
                        #expect(d["unit"] == nil || d["unit"] is NSNull)
                        #expect(docs.first?["name"] == nil || docs.first?["name"] is NSNull)
                        Self.expectNoSecrets(show, of: [c], "show --json \(c.id)")
                        Self.expectNoSecrets(human, of: [c], "show \(c.id)")
                        #expect(human.out.contains("(sealed"))
                    }
                    // Never anything of the other case.
                    Self.expectNoSecrets(show, of: RolesCase.allCases.filter { $0 != c }, "show --json \(c.id)")
                } else {
                    Self.expectRefusal(show, "show --json \(c.id)")
                    Self.expectRefusal(human, "show \(c.id)")
                    #expect(try Self.refusalLogged(w, actor, action: "case.show", caseID: c.id) == 2)
                }
            }
        }
    }

    @Test(arguments: RolesActor.allCases)
    func grantAndRevokeAsEachRole(actor: RolesActor) throws {
        try withTemporaryDirectory { dir in
            let w = try World(dir)
            let target = w.world[.spareInvestigator].keyID
            let revokee = w.world[.revokee].keyID
            let raw = try RawVault(path: w.world.vaultPath)
            let mayGrant = actor.allowed(.grantRevoke)

            for c in RolesCase.allCases {
                let holdersBefore = try raw.caseKeyHolders(caseID: c.id)
                let grant = try w.run(actor, ["grant", c.id, target])
                let revoke = try w.run(actor, ["revoke", c.id, revokee])
                let copy = try RolesRawCopy(path: w.world.vaultPath)
                let holders = Set(try raw.caseKeyHolders(caseID: c.id))
                // Only officers hold every key here, so policy and key possession agree.
                if mayGrant && actor.holdsKey(c) {
                    #expect(grant.status == 0, "grant: \(grant.err)")
                    #expect(grant.out.contains(target))
                    #expect(revoke.status == 0, "revoke: \(revoke.err)")
                    #expect(revoke.out.contains(revokee))
                    #expect(holders == Set(holdersBefore).union([target]).subtracting([revokee]))
                    #expect(try copy.epoch(c.id) == 1, "revoke did not rotate the key")
                    // The granted investigator opens the rotated key; the revoked one does not.
                    #expect(try copy.view(c.id, with: w.world[.spareInvestigator].box).title == c.title)
                    #expect(try copy.view(c.id, with: w.world[.revokee].box).title == nil)
                    Self.expectNoSecrets(grant, of: RolesCase.allCases, "grant")
                    Self.expectNoSecrets(revoke, of: RolesCase.allCases, "revoke")
                } else {
                    Self.expectRefusal(grant, "grant \(c.id)")
                    Self.expectRefusal(revoke, "revoke \(c.id)")
                    #expect(holders == Set(holdersBefore), "a refused grant or revoke changed who holds \(c.id)")
                    #expect(try copy.epoch(c.id) == 0)
                    #expect(try Self.refusalLogged(w, actor, action: "case.grant", caseID: c.id) == 1)
                    #expect(try Self.refusalLogged(w, actor, action: "case.revoke", caseID: c.id) == 1)
                }
            }
            let verify = try w.run(.officer, ["audit", "verify"])
            #expect(verify.status == 0, "\(verify.err)")
        }
    }

    /// Bad input to grant and revoke is exit 2 with one error line, and changes nothing.
    @Test func grantAndRevokeWithBadInputExit2() throws {
        try withTemporaryDirectory { dir in
            let w = try World(dir)
            let raw = try RawVault(path: w.world.vaultPath)
            let before = try raw.caseKeyHolders(caseID: RolesWorld.caseA)
            let cases: [[String]] = [
                ["grant", RolesWorld.caseA, "0123456789abcdef"],  // no such member
                ["grant", RolesWorld.caseA, w.world[.auditor].keyID],  // a role that holds no case keys
                ["grant", RolesWorld.caseA, w.world[.board].keyID],
                ["grant", "not a case", w.world[.spareInvestigator].keyID],
                ["revoke", RolesWorld.caseA, w.world[.spareInvestigator].keyID],  // holds no key
                ["revoke", "ASN 1999/0001", w.world[.revokee].keyID],  // no such case
                ["grant", RolesWorld.caseA],  // missing argument
            ]
            for args in cases {
                let r = try w.run(.officer, args)
                #expect(r.status == 2, "\(args): exit \(r.status): \(r.err)")
                #expect(r.stdout.isEmpty, "\(args)")
                CLITests().expectOneErrorLine(r)
                Self.expectNoSecrets(r, of: RolesCase.allCases, "\(args)")
            }
            #expect(try raw.caseKeyHolders(caseID: RolesWorld.caseA) == before)
            #expect(try RolesRawCopy(path: w.world.vaultPath).epoch(RolesWorld.caseA) == 0)
        }
    }
}
