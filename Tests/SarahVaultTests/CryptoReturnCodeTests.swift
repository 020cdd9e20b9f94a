import Foundation
import Testing

@testable import SarahVault

/// Issue 10, item 4: libsodium's return codes are checked. `crypto_box_seal` refuses a
/// recipient key of small order (its shared secret is all zeros), and that refusal reaches the
/// person as a clear error at the point where a key is sealed to them, with nothing stored —
/// where before the junk left in the output buffer was stored as a sealed key.
@Suite struct CryptoReturnCodeTests {
    /// The X25519 public keys of small order libsodium refuses, with two spellings that differ
    /// only in the ignored top bit.
    static let lowOrderPoints: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),  // 0 (order 4)
        [1] + [UInt8](repeating: 0, count: 31),  // 1 (order 1)
        [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
            0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
        ],  // order 8
        [
            0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
            0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57,
        ],  // order 8
        [0xec] + [UInt8](repeating: 0xff, count: 30) + [0x7f],  // p - 1 (order 2)
        [0xed] + [UInt8](repeating: 0xff, count: 30) + [0x7f],  // p, that is 0
        [0xee] + [UInt8](repeating: 0xff, count: 30) + [0x7f],  // p + 1, that is 1
        [UInt8](repeating: 0, count: 31) + [0x80],  // 0 with the top bit set
    ]

    /// The two the issue names: all zeros, and 0100…00.
    static let namedPoints: [[UInt8]] = Array(lowOrderPoints[0..<2])

    static func expectLowOrderRefusal(_ error: VaultError?, _ label: String = "") {
        #expect(error?.code == .invalidInput, "\(label): \(error?.message ?? "no error")")
        #expect(error?.message.contains("low-order") == true, "\(label): \(error?.message ?? "no error")")
        #expect(error?.message.contains("nothing was stored") == true, "\(label)")
    }

    @Test(arguments: lowOrderPoints)
    func sealingToALowOrderKeyIsRefused(point: [UInt8]) throws {
        let secret = try Sodium.randomSecret(32)
        Self.expectLowOrderRefusal(
            #expect(throws: VaultError.self) { try BoxKeyPair.seal(secret, to: point) }, Hex.encode(point))
        let bytes = [UInt8](repeating: 7, count: 40)
        Self.expectLowOrderRefusal(
            #expect(throws: VaultError.self) {
                try bytes.withUnsafeBytes { (b) throws(VaultError) in try BoxKeyPair.seal(b, to: point) }
            }, Hex.encode(point))
    }

    @Test func aKeyOfTheWrongLengthIsRefusedNotTrapped() throws {
        let secret = try Sodium.randomSecret(32)
        let e = #expect(throws: VaultError.self) { try BoxKeyPair.seal(secret, to: [UInt8](repeating: 9, count: 31)) }
        #expect(e?.code == .invalidInput)
    }

    /// The check refuses only what libsodium refuses: an ordinary key still seals and opens.
    @Test func anOrdinaryKeyStillSealsAndOpens() throws {
        let recipient = try BoxKeyPair()
        let secret = try Sodium.randomSecret(32)
        let sealed = try BoxKeyPair.seal(secret, to: recipient.publicKey)
        #expect(sealed.count == 32 + BoxKeyPair.sealOverhead)
        let opened = try #require(try recipient.open(sealed))
        #expect(opened.equals(secret))
    }

    /// A version key is sealed to the case's public key; a case whose stored public key is of
    /// small order (a tampered vault) gets no document key sealed to it.
    @Test(arguments: namedPoints)
    func aVersionKeyIsNotSealedToALowOrderCaseKey(point: [UInt8]) throws {
        let key = try Sodium.randomSecret(32)
        Self.expectLowOrderRefusal(
            #expect(throws: VaultError.self) { try CaseCrypto.sealVersionKey(key, name: "a.txt", to: point) })
    }

    // MARK: - Through the vault

    /// An officer's vault with one case the officer holds the key to.
    static func vaultWithACase(in dir: TemporaryDirectory) throws -> (Vault, Identity, String) {
        let officer = try Identity.generate(name: "Olivia Ombudsdotter")
        let vault = try Vault.create(at: dir.path("vault.sarah"), identity: officer, name: "Olivia Ombudsdotter")
        let file = try dir.write("in/rapport.txt", Array("Avvikelserapport, nattpasset.\n".utf8))
        let caseID = "ASN 2024/0042"
        _ = try vault.archive(
            files: [file], diarienummer: caseID, unit: "Hemtjänst Norr", received: "2024-02-01", title: "Fall")
        return (vault, officer, caseID)
    }

    /// What a refused seal must leave as it was.
    struct Snapshot: Equatable {
        var members: [String]
        var auditCount: Int64
        var boardKeyHolders: [String]
        var caseKeyHolders: [String]

        init(_ vault: Vault, caseID: String) throws {
            members = try vault.store.members().map(\.keyID).sorted()
            auditCount = try vault.store.auditCount()
            boardKeyHolders = try vault.store.boardKeyHolders().sorted()
            caseKeyHolders = try vault.store.caseKeyHolders(caseID: caseID).sorted()
        }
    }

    /// `member import` of a roster naming a low-order key: the import is refused on that line,
    /// before anything is enrolled, sealed or logged, and the vault still verifies.
    @Test(arguments: namedPoints, [Role.investigator, .officer, .board])
    func importingAMemberWithALowOrderKeyIsRefusedAndStoresNothing(point: [UInt8], role: Role) throws {
        try withTemporaryDirectory { dir in
            let (vault, _, caseID) = try Self.vaultWithACase(in: dir)
            let honest = try Identity.generate(name: "Ida Investigator")
            let bad = PublicKey(boxKey: point, signingKey: try Identity.generate(name: "x").signing.publicKey)
            let roster = """
                Ida Investigator | investigator | - | \(honest.publicKey.token)
                Lars Lågordning | \(role.rawValue) | - | \(bad.token)

                """
            let before = try Snapshot(vault, caseID: caseID)
            let e = #expect(throws: VaultError.self) { try vault.importRoster(roster) }
            Self.expectLowOrderRefusal(e, role.rawValue)
            #expect(e?.message.hasPrefix("roster line 2:") == true, "\(e?.message ?? "")")
            #expect(try Snapshot(vault, caseID: caseID) == before, "a refused import stored something")
            #expect(try vault.verify().ok)

            // The same person through `member add`. (The verify above appended its own entry.)
            let beforeAdd = try Snapshot(vault, caseID: caseID)
            let one = #expect(throws: VaultError.self) {
                try vault.addMember(name: "Lars Lågordning", role: role, unit: nil, publicKey: bad)
            }
            Self.expectLowOrderRefusal(one, role.rawValue)
            #expect(try Snapshot(vault, caseID: caseID) == beforeAdd, "a refused member add stored something")
        }
    }

    /// Handing a case key to a key of small order (`assign`, `grant`, a new member inheriting
    /// cases, a rotation: all go through `CaseKeys.seal`) is refused and stores no case key and no
    /// audit entry. A member with such a key cannot be enrolled any more, so the key is handed
    /// straight to `CaseKeys`, as a tampered or older vault's member row would hand it.
    @Test(arguments: namedPoints)
    func aCaseKeyIsNotSealedToALowOrderKey(point: [UInt8]) throws {
        try withTemporaryDirectory { dir in
            let (vault, _, caseID) = try Self.vaultWithACase(in: dir)
            let c = try #require(try vault.store.caseRecord(caseID))
            let caseKey = try #require(try vault.openCaseKey(c))
            let before = try Snapshot(vault, caseID: caseID)
            let e = #expect(throws: VaultError.self) {
                try vault.store.writeTransaction { () throws(VaultError) in
                    try CaseKeys(store: vault.store, log: vault.log).seal(
                        caseKey, caseID: caseID, epoch: c.epoch, to: "00000000deadbeef", boxPublicKey: point)
                }
            }
            Self.expectLowOrderRefusal(e)
            #expect(try vault.store.caseKey(caseID: caseID, keyID: "00000000deadbeef") == nil)
            #expect(try Snapshot(vault, caseID: caseID) == before)
            #expect(try vault.verify().ok)
        }
    }
}
