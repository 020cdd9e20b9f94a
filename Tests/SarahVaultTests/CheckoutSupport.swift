import Foundation
import Testing

@testable import SarahVault

#if canImport(Glibc)
    import Glibc
#endif

/// Helpers for the checkout tests (issue 5): expiry without sleeping, raw case keys, package
/// mutations and the "nothing was written" check.
enum CheckoutSupport {
    /// Runs `body` and returns the `VaultError` it threw, or nil when it did not throw.
    static func error(_ body: () throws -> Void) -> VaultError? {
        do {
            try body()
            return nil
        } catch let e as VaultError {
            return e
        } catch {
            return VaultError(.internalError, "not a VaultError: \(error)")
        }
    }

    /// Busy-waits (no sleep) until the vault's clock has reached `millis`: a package made with a
    /// 1 ms expiry is past it after at most a few milliseconds. Fails rather than spin for long.
    static func waitUntilClockReaches(_ millis: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        let start = AuditLog.now()
        while AuditLog.now() < millis {
            if AuditLog.now() - start > 2_000 {
                Issue.record("the clock did not reach \(millis)", sourceLocation: sourceLocation)
                return
            }
        }
    }

    /// Every entry of a directory, hidden ones (a `.partial-` temp) included; empty when the
    /// directory does not exist.
    static func entries(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// The plaintext of a document's latest (or given) version as `vault` reads it.
    static func read(
        _ vault: Vault, caseID: String, document: String, version: Int64? = nil, in dir: TemporaryDirectory
    ) throws -> [UInt8] {
        let out = dir.path("read-\(UUID().uuidString)")
        defer { unlink(out) }
        try vault.read(caseID: caseID, document: document, version: version, to: .file(out))
        return try readBytes(out)
    }

    /// A row of `cases` as it stands in the file.
    static func caseRow(_ raw: RawVault, _ caseID: String) throws -> (epoch: Int64, publicKey: [UInt8]) {
        let row = try #require(
            try raw.db.firstRow("SELECT epoch, public_key FROM cases WHERE case_id = ?", [.text(caseID)]))
        return (try #require(row[0].int), try #require(row[1].bytes))
    }

    /// A holder's case key, straight from their `case_keys` row, opened with their identity.
    static func caseKey(_ raw: RawVault, _ caseID: String, holder: Identity) throws -> BoxKeyPair {
        let row = try #require(
            try raw.db.firstRow(
                "SELECT sealed FROM case_keys WHERE case_id = ? AND key_id = ?", [.text(caseID), .text(holder.keyID)]),
            "\(holder.name) holds no key to \(caseID)")
        let sealed = try #require(row[0].bytes)
        let secret = try #require(try holder.box.open(sealed), "the case key does not open with the holder's identity")
        return try BoxKeyPair(secretKey: secret)
    }

    /// The sealed version key of one stored version.
    static func sealedKey(_ raw: RawVault, _ caseID: String, document: Int64, version: Int64) throws -> [UInt8] {
        let row = try #require(
            try raw.db.firstRow(
                "SELECT sealed_key FROM versions WHERE case_id = ? AND doc = ? AND version = ?",
                [.text(caseID), .integer(document), .integer(version)]))
        return try #require(row[0].bytes)
    }

    static func versionCount(_ raw: RawVault, _ caseID: String) throws -> Int64 {
        try raw.db.firstRow("SELECT count(*) FROM versions WHERE case_id = ?", [.text(caseID)])?.first?.int ?? -1
    }

    static func checkoutStatus(_ raw: RawVault, _ id: String) throws -> String? {
        try raw.db.firstRow("SELECT status FROM checkouts WHERE id = ?", [.text(id)])?.first?.string
    }

    /// Whether an ISO 8601 time (seconds precision) lies within [low, high] milliseconds, with a
    /// second of slack for the truncation.
    static func isoTime(_ text: String, isWithin low: Int64, _ high: Int64) -> Bool {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        guard let d = f.date(from: text) else { return false }
        let ms = Int64((d.timeIntervalSince1970 * 1000).rounded())
        return ms >= low - 1_000 && ms <= high + 1_000
    }

    // MARK: package mutations

    /// Byte offsets to flip: every header byte, then a sample across the body, the chunk
    /// boundaries and the last byte.
    static func flipPositions(size: Int) -> [Int] {
        let header = CheckoutPackage.headerBytes
        var body: Set<Int> = [header, header + 1, header + 4, header + 100, size - 17, size - 16, size - 2, size - 1]
        var p = header + 37
        while p < size {
            body.insert(p)
            p += 9_973
        }
        var boundary = header + ChunkedCipher.sealedChunkSize
        while boundary < size {
            body.formUnion([boundary - 1, boundary, boundary - AEAD.tagBytes])
            boundary += ChunkedCipher.sealedChunkSize
        }
        return Array(0..<header) + body.filter { $0 >= header && $0 < size }.sorted()
    }

    /// Lengths to truncate to: nothing, inside the header, header only, inside the first chunk,
    /// exactly at chunk boundaries (where a dropped tail leaves only whole, non-final chunks),
    /// and one byte short.
    static func truncationLengths(size: Int) -> [Int] {
        let header = CheckoutPackage.headerBytes
        var lengths: Set<Int> = [
            0, 3, 4, 5, 40, header - 1, header, header + 1, header + AEAD.tagBytes, size / 2, size - 17, size - 16,
            size - 1,
        ]
        var boundary = header + ChunkedCipher.sealedChunkSize
        while boundary < size {
            lengths.formUnion([boundary - 1, boundary, boundary + 1])
            boundary += ChunkedCipher.sealedChunkSize
        }
        return lengths.filter { $0 >= 0 && $0 < size }.sorted()
    }

    static let diarienummerCores = [Story.caseID, "2021/0026", Story.otherCaseID, "2021/0031"]
}

/// The `sarah-vault` binary for the checkout CLI tests: where `CLITests` finds it, else in this
/// suite's own scratch directory.
enum CheckoutCLI {
    static let binary: String? = sarahVaultBinary()

    static func cli(_ dir: TemporaryDirectory, identity: String, vault: String) throws -> CLITests.CLI {
        let bin = try #require(binary, "sarah-vault binary not found: build with --build-tests or set SARAH_VAULT_BIN")
        return CLITests.CLI(dir: dir, binary: bin, identity: identity, vault: vault)
    }
}
