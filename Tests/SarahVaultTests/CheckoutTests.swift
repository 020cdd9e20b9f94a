import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 5, through the library: a case taken home as a package only its holder opens, brought
/// back once, listed while it is out, and a loss handled with key rotation.
@Suite struct CheckoutTests {
    static let pass = CLITests.pass

    // MARK: 1. the journey

    @Test func journeyHomeWithNoVaultAndBackIsReadableByInvestigatorAndOfficer() throws {
        try withTemporaryDirectory { office in
            try withTemporaryDirectory { home in
                let story = try Story(in: office)
                let inv = try story.vault(.investigator)
                try story.investigator.write(
                    to: office.path("investigator.id"), passphrase: try passphrase(Self.pass), kdf: .interactive)

                let m = try inv.checkout(caseID: Story.caseID, to: office.path("paket.svco"))
                #expect(m.case == Story.caseID)
                #expect(m.holder == story.investigator.keyID)
                #expect(m.issuer == story.investigator.keyID)
                #expect(m.expires - m.issued == CheckoutDuration.default)
                #expect(m.documents.map(\.name).sorted() == [Story.bigName, Story.smallName].sorted())
                #expect(m.documents.first { $0.name == Story.smallName }?.version == 2)
                #expect(fileMode(office.path("paket.svco")) == 0o600)

                // Home: the package and the identity file, and no vault anywhere near.
                try FileManager.default.copyItem(atPath: office.path("paket.svco"), toPath: home.path("paket.svco"))
                try FileManager.default.copyItem(
                    atPath: office.path("investigator.id"), toPath: home.path("investigator.id"))
                #expect(home.listing() == ["investigator.id", "paket.svco"])
                let me = try Identity.load(from: home.path("investigator.id"), passphrase: try passphrase(Self.pass))

                let opened = try Vault.openPackage(at: home.path("paket.svco"), identity: me, into: home.path("docs"))
                #expect(opened == m)
                #expect(CheckoutSupport.entries(home.path("docs")) == [Story.bigName, Story.smallName].sorted())
                #expect(try readBytes(home.path("docs/\(Story.bigName)")) == story.big)
                #expect(try readBytes(home.path("docs/\(Story.smallName)")) == story.smallV2)
                #expect(fileMode(home.path("docs")) == 0o700)
                #expect(fileMode(home.path("docs/\(Story.smallName)")) == 0o600)
                #expect(try Vault.inspectPackage(at: home.path("paket.svco"), identity: me) == m)

                // The same through the binary, with --vault pointing at nothing.
                let cli = try CheckoutCLI.cli(
                    home, identity: home.path("investigator.id"), vault: home.path("ingen-vault/vault.sarah"))
                let r = try cli.run(["open", home.path("paket.svco"), "--out", home.path("docs-cli")])
                #expect(r.status == 0, "\(r.err)")
                #expect(try readBytes(home.path("docs-cli/\(Story.bigName)")) == story.big)
                #expect(try readBytes(home.path("docs-cli/\(Story.smallName)")) == story.smallV2)
                #expect(!FileManager.default.fileExists(atPath: home.path("ingen-vault")))

                // An edit at home comes back as the next version, signed by the holder. (The edit
                // takes the personnummer out: see `checkinOfAnEditThatKeepsThePersonnummer`.)
                let edited =
                    Array(
                        String(decoding: story.smallV2, as: UTF8.self).replacingOccurrences(
                            of: Story.personnummer, with: "[borttaget]"
                        ).utf8)
                    + Array("Hemma: kompletterat efter samtal med nattpersonalen.\n".utf8)
                #expect(!Personnummer.containsPersonnummer(String(decoding: edited, as: UTF8.self)))
                let editedPath = try home.write("redigerat/\(Story.smallName)", edited)
                let back = try inv.checkin(package: home.path("paket.svco"), files: [editedPath])
                #expect(back.case == Story.caseID)
                #expect(
                    back.documents == [
                        ArchivedDocument(
                            id: story.smallDoc, name: Story.smallName, version: 3, size: Int64(edited.count))
                    ])

                #expect(
                    try CheckoutSupport.read(inv, caseID: Story.caseID, document: Story.smallName, in: office) == edited
                )
                let officer = try story.vault(.officer)
                #expect(
                    try CheckoutSupport.read(officer, caseID: Story.caseID, document: Story.smallName, in: office)
                        == edited)
                #expect(
                    try CheckoutSupport.read(
                        officer, caseID: Story.caseID, document: Story.smallName, version: 2, in: office)
                        == story.smallV2)

                let log = try officer.auditLog(caseID: Story.caseID)
                let byInv = log.filter { $0.actorKeyID == story.investigator.keyID && $0.result == .granted }
                #expect(byInv.contains { $0.action == AuditAction.checkoutIssue && $0.detail.contains("id=\(m.id)") })
                #expect(byInv.contains { $0.action == AuditAction.checkoutReturn && $0.detail.contains("id=\(m.id)") })
                #expect(
                    byInv.contains {
                        $0.action == AuditAction.addDocument && $0.document == story.smallDoc && $0.version == 3
                    })
                let status = try officer.checkouts().first { $0.id == m.id }
                #expect(status?.status == "returned")
                #expect(status?.overdue == false)

                let report = try officer.verify()
                #expect(report.ok, "\(report.problems)")
            }
        }
    }

    /// The edit a holder most often makes keeps the personnummer the report was archived with
    /// (allowed then, and signed as such): check-in refuses it unless allowed again, and then
    /// records the allowance like an archive does.
    @Test func checkinOfAnEditThatKeepsThePersonnummer() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let inv = try story.vault(.investigator)
            _ = try inv.checkout(caseID: Story.caseID, documents: [Story.smallName], to: dir.path("paket.svco"))
            _ = try Vault.openPackage(at: dir.path("paket.svco"), identity: story.investigator, into: dir.path("hem"))
            let edited = try readBytes(dir.path("hem/\(Story.smallName)")) + Array("Hemma: kompletterat.\n".utf8)
            let path = try dir.write("redigerat/\(Story.smallName)", edited)
            #expect(throws: VaultError.self) { _ = try inv.checkin(package: dir.path("paket.svco"), files: [path]) }
            let back = try inv.checkin(package: dir.path("paket.svco"), files: [path], allowPersonnummer: true)
            #expect(back.documents.map(\.version) == [3])
            #expect(
                try story.vault(.officer).auditLog(caseID: Story.caseID).contains {
                    $0.action == "document.add" && $0.version == 3 && $0.detail.contains("personnummer-allowed")
                })
            #expect(try CheckoutSupport.read(inv, caseID: Story.caseID, document: Story.smallName, in: dir) == edited)
            #expect(
                try CheckoutSupport.checkoutStatus(try story.raw(), try #require(try inv.checkouts().first?.id))
                    == "returned")
        }
    }

    /// A check-in that fails part-way adds nothing and leaves the checkout out.
    @Test func aFailedCheckinAddsNothingAndLeavesTheCheckoutOut() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let inv = try story.vault(.investigator)
            let m = try inv.checkout(caseID: Story.caseID, to: dir.path("paket.svco"))
            let raw = try story.raw()
            let versions = try CheckoutSupport.versionCount(raw, Story.caseID)
            let good = try dir.write("hem/\(Story.smallName)", Array("Redigerad, utan personnummer.\n".utf8))
            let e = CheckoutSupport.error {
                _ = try inv.checkin(package: dir.path("paket.svco"), files: [good, dir.path("hem/finns-inte.txt")])
            }
            #expect(e != nil)
            #expect(try CheckoutSupport.versionCount(raw, Story.caseID) == versions)
            #expect(try CheckoutSupport.checkoutStatus(raw, m.id) == "out")
            // …and it can then be checked in properly.
            let back = try inv.checkin(package: dir.path("paket.svco"), files: [good])
            #expect(back.documents.map(\.version) == [3])
            #expect(try CheckoutSupport.checkoutStatus(raw, m.id) == "returned")
        }
    }

    // MARK: 2. the package tells a finder nothing and resists every change

    @Test func packageHoldsNoSecretInClear() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let m = try story.vault(.investigator).checkout(caseID: Story.caseID, to: dir.path("paket.svco"))
            let raw = try readBytes(dir.path("paket.svco"))
            #expect(Array(raw.prefix(4)) == Array("SVCO".utf8), "a finder may learn that it is a SarahVault package")
            let planted =
                Story.secrets + CheckoutSupport.diarienummerCores + [
                    story.investigator.keyID, story.investigator.publicKey.token, m.id, story.investigator.name,
                ]
            for s in planted {
                #expect(!contains(raw, Array(s.utf8)), "the package holds \"\(s)\" in clear")
            }
            // The documents' plaintext: no 32-byte window of either is in the file.
            for doc in [story.big, story.smallV2] {
                for start in stride(from: 0, to: doc.count - 32, by: 4096) {
                    #expect(!contains(raw, Array(doc[start..<start + 32])))
                }
            }
        }
    }

    @Test func everyOneByteChangeTruncationAndAppendedByteFailsAndWritesNothing() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            _ = try story.vault(.investigator).checkout(caseID: Story.caseID, to: dir.path("paket.svco"))
            let original = try readBytes(dir.path("paket.svco"))
            #expect(original.count > CheckoutPackage.headerBytes + 3 * ChunkedCipher.sealedChunkSize)

            var n = 0
            func expectFails(_ bytes: [UInt8], _ what: String) throws {
                n += 1
                let path = dir.path("t\(n).svco")
                let out = dir.path("ut\(n)")
                try dir.write("t\(n).svco", bytes)
                defer {
                    unlink(path)
                    try? FileManager.default.removeItem(atPath: out)
                }
                let e = CheckoutSupport.error {
                    _ = try Vault.openPackage(at: path, identity: story.investigator, into: out)
                }
                guard let e else {
                    Issue.record("\(what): the changed package opened")
                    return
                }
                let clear: [VaultError.Code] = [.authenticationFailed, .corrupt, .invalidInput, .unsupported]
                #expect(clear.contains(e.code), "\(what): \(e.code) \(e.message)")
                #expect(!e.message.isEmpty)
                for s in [Story.title, Story.unitA, Story.phrase, Story.personnummer, Story.bigName, Story.smallName] {
                    #expect(!e.message.contains(s), "\(what): the error names a secret")
                }
                #expect(CheckoutSupport.entries(out).isEmpty, "\(what): left \(CheckoutSupport.entries(out))")
                #expect(CheckoutSupport.entries(dir.path("")).allSatisfy { !$0.contains(".partial-") })
            }

            let flips = CheckoutSupport.flipPositions(size: original.count)
            #expect(flips.contains(original.count - 1))
            for i in flips {
                var b = original
                b[i] ^= 0x01
                try expectFails(b, "byte \(i) flipped")
            }
            for i in [0, CheckoutPackage.headerBytes + 5, original.count - 1] {
                var b = original
                b[i] ^= 0xff
                try expectFails(b, "byte \(i) inverted")
            }
            for length in CheckoutSupport.truncationLengths(size: original.count) {
                try expectFails(Array(original.prefix(length)), "truncated to \(length)")
            }
            try expectFails(original + [0x00], "one byte appended")
            try expectFails(original + [0x5a], "another byte appended")
            // Two whole chunks swapped: each authenticates alone, but not in that place.
            let h = CheckoutPackage.headerBytes
            let c = ChunkedCipher.sealedChunkSize
            let swapped =
                Array(original[0..<h]) + original[(h + c)..<(h + 2 * c)] + original[h..<(h + c)]
                + original[(h + 2 * c)...]
            try expectFails(swapped, "chunks 0 and 1 swapped")

            // The control: the untouched package still opens.
            let m = try Vault.openPackage(
                at: dir.path("paket.svco"), identity: story.investigator, into: dir.path("ok"))
            #expect(CheckoutSupport.entries(dir.path("ok")).count == m.documents.count)
        }
    }

    @Test func anotherMembersIdentityCannotOpenIt() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            _ = try story.vault(.investigator).checkout(caseID: Story.caseID, to: dir.path("paket.svco"))
            let stranger = try Identity.generate(name: "Hittare Okänd")
            for (who, identity) in [
                ("officer", story.officer), ("unit manager", story.managerA), ("registrar", story.registrar),
                ("auditor", story.auditor), ("stranger", stranger),
            ] {
                let out = dir.path("ut-\(who)")
                let e = CheckoutSupport.error {
                    _ = try Vault.openPackage(at: dir.path("paket.svco"), identity: identity, into: out)
                }
                #expect(e?.code == .authenticationFailed, "\(who): \(String(describing: e))")
                #expect(CheckoutSupport.entries(out).isEmpty, "\(who)")
                let inspect = CheckoutSupport.error {
                    _ = try Vault.inspectPackage(at: dir.path("paket.svco"), identity: identity)
                }
                #expect(inspect?.code == .authenticationFailed, "\(who)")
            }
            // Nor can the officer check it in on the holder's behalf.
            let e = CheckoutSupport.error {
                _ = try story.vault(.officer).checkin(package: dir.path("paket.svco"), files: [])
            }
            #expect(e?.code == .authenticationFailed)
        }
    }

    @Test func anExpiredPackageIsRefused() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let m = try story.vault(.investigator).checkout(
                caseID: Story.caseID, expiresIn: 1, to: dir.path("paket.svco"))
            #expect(m.expires == m.issued + 1)
            CheckoutSupport.waitUntilClockReaches(m.expires)
            #expect(m.isExpired)
            let e = CheckoutSupport.error {
                _ = try Vault.openPackage(
                    at: dir.path("paket.svco"), identity: story.investigator, into: dir.path("ut"))
            }
            #expect(e?.code == .refused, "\(String(describing: e))")
            #expect(e?.message.contains("expired") == true)
            #expect(CheckoutSupport.entries(dir.path("ut")).isEmpty)
            // It can still be returned.
            let back = try story.vault(.investigator).checkin(package: dir.path("paket.svco"), files: [])
            #expect(back.documents.isEmpty)
            #expect(try CheckoutSupport.checkoutStatus(try story.raw(), m.id) == "returned")
        }
    }

    // MARK: 3. what is overdue

    @Test func overdueListsExactlyTheExpiredUnreturnedPackages() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let inv = try story.vault(.investigator)
            let officer = try story.vault(.officer)
            let expiredOut = try inv.checkout(caseID: Story.caseID, expiresIn: 1, to: dir.path("a.svco"))
            let expiredReturned = try inv.checkout(caseID: Story.otherCaseID, expiresIn: 1, to: dir.path("b.svco"))
            let expiredLost = try inv.checkout(caseID: Story.caseID, expiresIn: 1, to: dir.path("c.svco"))
            let officersExpiredOut = try officer.checkout(
                caseID: Story.otherCaseID, documents: [Story.otherName], expiresIn: 1, to: dir.path("e.svco"))
            CheckoutSupport.waitUntilClockReaches(
                [expiredOut, expiredReturned, expiredLost, officersExpiredOut].map(\.expires).max()!)
            _ = try inv.checkin(package: dir.path("b.svco"), files: [])
            _ = try officer.reportLost(checkout: expiredLost.id)
            let unexpiredOut = try inv.checkout(caseID: Story.caseID, expiresIn: 3_600_000, to: dir.path("d.svco"))

            let overdue = try officer.checkouts(overdueOnly: true)
            #expect(Set(overdue.map(\.id)) == [expiredOut.id, officersExpiredOut.id])
            #expect(overdue.count == 2)
            #expect(overdue.allSatisfy { $0.overdue && $0.status == "out" })
            #expect(overdue.first { $0.id == expiredOut.id }?.holder == story.investigator.keyID)
            #expect(overdue.first { $0.id == expiredOut.id }?.holderName == Story.memberNames[.investigator])
            #expect(overdue.first { $0.id == officersExpiredOut.id }?.documents == 1)

            let all = Dictionary(uniqueKeysWithValues: try officer.checkouts().map { ($0.id, $0) })
            #expect(all.count == 5)
            #expect(all[expiredOut.id]?.status == "out")
            #expect(all[expiredReturned.id]?.status == "returned")
            #expect(all[expiredLost.id]?.status == "lost")
            #expect(all[unexpiredOut.id]?.status == "out")
            #expect(all[unexpiredOut.id]?.overdue == false)
            #expect(all.values.filter(\.overdue).map(\.id).sorted() == [expiredOut.id, officersExpiredOut.id].sorted())

            // Anyone who may read the registry sees the same list.
            #expect(Set(try inv.checkouts(overdueOnly: true).map(\.id)) == [expiredOut.id, officersExpiredOut.id])
            #expect(
                Set(try story.vault(.auditor).checkouts(overdueOnly: true).map(\.id)) == [
                    expiredOut.id, officersExpiredOut.id,
                ])
            #expect(
                try officer.auditLog().contains {
                    $0.action == AuditAction.listCheckouts && $0.actorKeyID == story.officer.keyID
                })
        }
    }

    // MARK: 4. a loss

    @Test func lostByCheckoutIDRotatesTheCaseKeyAndRecordsTheIncident() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let inv = try story.vault(.investigator)
            let officer = try story.vault(.officer)
            let m = try inv.checkout(caseID: Story.caseID, to: dir.path("paket.svco"))

            let raw = try story.raw()
            let before = try CheckoutSupport.caseRow(raw, Story.caseID)
            let otherBefore = try CheckoutSupport.caseRow(raw, Story.otherCaseID)
            let oldKey = try CheckoutSupport.caseKey(raw, Story.caseID, holder: story.investigator)
            #expect(oldKey.publicKey == before.publicKey)
            // The control: the old key opens what was sealed before the loss.
            let preLoss = try CheckoutSupport.sealedKey(raw, Story.caseID, document: story.smallDoc, version: 2)
            #expect(try CaseCrypto.openVersionKey(preLoss, with: oldKey).1 == Story.smallName)

            let t0 = AuditLog.now()
            let record = try officer.reportLost(checkout: m.id)
            let t1 = AuditLog.now()

            #expect(record.items.count == 1)
            let item = try #require(record.items.first)
            #expect(item.checkout == m.id)
            #expect(item.case == Story.caseID)
            #expect(item.holder == story.investigator.keyID)
            #expect(item.documents == 2)
            #expect(record.casesRotated == [Story.caseID])
            #expect(record.reportedBy == story.officer.keyID)
            let h72: Int64 = 72 * 3600 * 1000
            #expect(CheckoutSupport.isoTime(record.imyDeadline, isWithin: t0 + h72, t1 + h72), "\(record.imyDeadline)")
            #expect(CheckoutSupport.isoTime(record.reported, isWithin: t0, t1))
            #expect(record.notes.contains { $0.contains("IMY") && $0.contains("72 hours") })
            #expect(record.notes.contains { $0.contains("lex Sarah") })

            // The case key rotated; the other case's did not.
            let after = try CheckoutSupport.caseRow(raw, Story.caseID)
            #expect(after.epoch == before.epoch + 1)
            #expect(after.publicKey != before.publicKey)
            let otherAfter = try CheckoutSupport.caseRow(raw, Story.otherCaseID)
            #expect(otherAfter.epoch == otherBefore.epoch)
            #expect(otherAfter.publicKey == otherBefore.publicKey)

            // A version added afterwards is under the new key, not the old one.
            let laterPath = try dir.write("senare/\(Story.smallName)", story.smallV2 + Array("Efter förlusten.\n".utf8))
            let added = try officer.add(caseID: Story.caseID, files: [laterPath], allowPersonnummer: true)
            let newVersion = try #require(added.documents.first)
            let sealed = try CheckoutSupport.sealedKey(
                raw, Story.caseID, document: newVersion.id, version: newVersion.version)
            #expect(throws: VaultError.self) { _ = try CaseCrypto.openVersionKey(sealed, with: oldKey) }
            let newKey = try CheckoutSupport.caseKey(raw, Story.caseID, holder: story.investigator)
            #expect(newKey.publicKey == after.publicKey)
            #expect(try CaseCrypto.openVersionKey(sealed, with: newKey).1 == Story.smallName)
            // Losing a package is not losing the key: the holder keeps access.
            #expect(
                try CheckoutSupport.read(inv, caseID: Story.caseID, document: Story.smallName, in: dir)
                    == story.smallV2 + Array("Efter förlusten.\n".utf8))

            let log = try officer.auditLog(caseID: Story.caseID)
            #expect(
                log.contains {
                    $0.action == AuditAction.checkoutLost && $0.result == .granted && $0.detail.contains("id=\(m.id)")
                        && $0.actorKeyID == story.officer.keyID
                })
            #expect(
                log.contains {
                    $0.action == AuditAction.checkoutLost && $0.keyHash == CaseCrypto.publicKeyHash(after.publicKey)
                })
            #expect(try officer.checkouts().first { $0.id == m.id }?.status == "lost")
            #expect(try officer.verify().ok)

            // A lost package cannot be checked in, and nothing is added by trying.
            let versions = try CheckoutSupport.versionCount(raw, Story.caseID)
            let e = CheckoutSupport.error { _ = try inv.checkin(package: dir.path("paket.svco"), files: [laterPath]) }
            #expect(e?.code == .refused, "\(String(describing: e))")
            #expect(try CheckoutSupport.versionCount(raw, Story.caseID) == versions)
            #expect(
                CheckoutSupport.error { _ = try inv.checkin(package: dir.path("paket.svco"), files: []) }?.code
                    == .refused)
            // Nor reported lost twice.
            #expect(CheckoutSupport.error { _ = try officer.reportLost(checkout: m.id) }?.code == .notFound)
            #expect(try CheckoutSupport.caseRow(raw, Story.caseID).epoch == after.epoch)
        }
    }

    @Test func lostByMemberRotatesEveryCaseTheyHadOutAndDropsTheirKey() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let inv = try story.vault(.investigator)
            let officer = try story.vault(.officer)
            let a = try inv.checkout(caseID: Story.caseID, to: dir.path("a.svco"))
            let b = try inv.checkout(caseID: Story.otherCaseID, to: dir.path("b.svco"))
            let returned = try inv.checkout(caseID: Story.otherCaseID, to: dir.path("r.svco"))
            _ = try inv.checkin(package: dir.path("r.svco"), files: [])
            let officers = try officer.checkout(caseID: Story.otherCaseID, to: dir.path("o.svco"))

            let raw = try story.raw()
            let cases = [Story.caseID, Story.otherCaseID]
            var oldKeys: [String: BoxKeyPair] = [:]
            var before: [String: (epoch: Int64, publicKey: [UInt8])] = [:]
            for c in cases {
                oldKeys[c] = try CheckoutSupport.caseKey(raw, c, holder: story.investigator)
                before[c] = try CheckoutSupport.caseRow(raw, c)
            }

            let t0 = AuditLog.now()
            let record = try officer.reportLost(member: story.investigator.keyID)
            let t1 = AuditLog.now()
            #expect(Set(record.items.map(\.checkout)) == [a.id, b.id])
            #expect(record.items.count == 2)
            #expect(record.items.allSatisfy { $0.holder == story.investigator.keyID })
            #expect(record.casesRotated == cases.sorted())
            #expect(CheckoutSupport.isoTime(record.imyDeadline, isWithin: t0 + 72 * 3_600_000, t1 + 72 * 3_600_000))
            #expect(record.notes.contains { $0.contains("IMY") })

            let statuses = Dictionary(uniqueKeysWithValues: try officer.checkouts().map { ($0.id, $0.status) })
            #expect(statuses[a.id] == "lost")
            #expect(statuses[b.id] == "lost")
            #expect(statuses[returned.id] == "returned")
            #expect(statuses[officers.id] == "out", "another holder's package is not part of the loss")

            let log = try officer.auditLog()
            for c in cases {
                let after = try CheckoutSupport.caseRow(raw, c)
                #expect(after.epoch == before[c]!.epoch + 1, "\(c)")
                #expect(after.publicKey != before[c]!.publicKey, "\(c)")
                // The lost laptop's key is out of the new case keys; the officer's is in.
                let holders = try raw.caseKeyHolders(caseID: c)
                #expect(!holders.contains(story.investigator.keyID), "\(c)")
                #expect(holders.contains(story.officer.keyID), "\(c)")

                let path = try dir.write(
                    "efter/\(c.replacingOccurrences(of: "/", with: "-"))-tillagg.txt", Array("Tillägg.\n".utf8))
                let added = try officer.add(caseID: c, files: [path])
                let v = try #require(added.documents.first)
                let sealed = try CheckoutSupport.sealedKey(raw, c, document: v.id, version: v.version)
                #expect(throws: VaultError.self) { _ = try CaseCrypto.openVersionKey(sealed, with: oldKeys[c]!) }
                #expect(log.contains { $0.action == AuditAction.checkoutLost && $0.caseID == c })
            }
            #expect(log.contains { $0.action == AuditAction.checkoutLost && $0.detail.contains("id=\(a.id)") })
            #expect(log.contains { $0.action == AuditAction.checkoutLost && $0.detail.contains("id=\(b.id)") })

            // Through the library the investigator's old identity no longer reads the case.
            let e = CheckoutSupport.error {
                _ = try CheckoutSupport.read(inv, caseID: Story.caseID, document: Story.smallName, in: dir)
            }
            #expect(e?.code == .refused)
            // A lost package cannot be checked in.
            #expect(
                CheckoutSupport.error { _ = try inv.checkin(package: dir.path("a.svco"), files: []) }?.code == .refused)
            // Nothing more is out for that member.
            #expect(
                CheckoutSupport.error { _ = try officer.reportLost(member: story.investigator.keyID) }?.code
                    == .notFound)
            #expect(try officer.verify().ok)
        }
    }

    @Test func aPackageIsCheckedInOnce() throws {
        try withTemporaryDirectory { dir in
            let story = try Story(in: dir)
            let inv = try story.vault(.investigator)
            let m = try inv.checkout(caseID: Story.caseID, documents: [Story.smallName], to: dir.path("paket.svco"))
            #expect(m.documents.map(\.name) == [Story.smallName])
            let first = try dir.write("hem/\(Story.smallName)", Array("Första, utan personnummer.\n".utf8))
            let r = try inv.checkin(package: dir.path("paket.svco"), files: [first])
            #expect(r.documents.map(\.version) == [3])

            let raw = try story.raw()
            let versions = try CheckoutSupport.versionCount(raw, Story.caseID)
            let entries = try raw.auditCount()
            let second = try dir.write("hem2/\(Story.smallName)", Array("Andra, utan personnummer.\n".utf8))
            let e = CheckoutSupport.error { _ = try inv.checkin(package: dir.path("paket.svco"), files: [second]) }
            #expect(e?.code == .refused, "\(String(describing: e))")
            #expect(e?.message.contains("once") == true)
            #expect(
                CheckoutSupport.error { _ = try inv.checkin(package: dir.path("paket.svco"), files: []) }?.code
                    == .refused)
            #expect(try CheckoutSupport.versionCount(raw, Story.caseID) == versions)
            #expect(try raw.auditCount() >= entries)
            #expect(
                try CheckoutSupport.read(inv, caseID: Story.caseID, document: Story.smallName, in: dir)
                    == Array("Första, utan personnummer.\n".utf8))
            // A returned package is not "out", so it cannot be reported lost either.
            #expect(
                CheckoutSupport.error { _ = try story.vault(.officer).reportLost(checkout: m.id) }?.code == .notFound)
        }
    }
}
