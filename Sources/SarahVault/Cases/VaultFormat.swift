/// The vault's format version, `meta.format`, and what it decides: how a stored ciphertext is
/// hashed for the audit log (docs/FORMAT.md §7).
///
/// Format 1 digests chunks with BLAKE2b-256. Format 2, for vaults made since, digests them with
/// SHA-256: the same strength, and on processors with the SHA extensions (and in every
/// language's standard library) about twice as fast, which is most of the cost of archiving or
/// auditing gigabytes. A vault keeps the format it was made with; this build reads, verifies
/// and writes both.
enum VaultFormat: UInt8, Sendable {
    case v1 = 1
    case v2 = 2

    /// The format of new vaults.
    static let current = VaultFormat.v2

    /// The vault's format from `meta.format`; anything unknown is refused, not guessed.
    static func load(_ store: any VaultStore) throws(VaultError) -> VaultFormat {
        guard let bytes = try store.meta("format"), bytes.count == 1, let format = VaultFormat(rawValue: bytes[0])
        else {
            throw VaultError(
                .unsupported, "the vault's format is not one this sarah-vault reads (1 or 2)",
                hints: ["a newer sarah-vault may read it; 'meta.format' may also have been altered"])
        }
        return format
    }

    /// How this format digests the chunks of a version it writes.
    var chunkDigest: ChunkDigest.Kind {
        switch self {
        case .v1: .blake2b256
        case .v2: .sha256
        }
    }
}

extension ChunkDigest.Kind {
    /// The `hash=` value of a `document.add` entry's detail that names this digest: format 2
    /// names it in every entry, so the signature covers the choice; format 1 names none.
    var detailName: String? {
        switch self {
        case .blake2b256: nil
        case .sha256: "sha256"
        }
    }

    /// The digest a signed `document.add` detail names (`hash=…`, absent: BLAKE2b-256).
    init?(detailName: String?) {
        switch detailName {
        case nil: self = .blake2b256
        case "sha256": self = .sha256
        default: return nil
        }
    }
}
