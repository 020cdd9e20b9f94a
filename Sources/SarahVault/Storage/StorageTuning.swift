internal import CSQLite
internal import CSQLiteVFS
import Foundation

/// The hand-written part of the storage path that can be switched off, so `make bench` can time
/// it against SQLite alone on the same files and the concurrency tests can run on both. The
/// defaults are what the benchmark found faster (README, "What stayed, and why").
///
/// - `SARAH_VAULT_WRITEBACK=1|0`: start writeback of each 32 MiB an archive writes (default on);
/// - `SARAH_VAULT_PAGE_SIZE=N`: the page size of a *new* vault (default 16384; a power of two
///   from 4096 to 65536). An existing vault keeps the size it was made with.
struct StorageTuning: Sendable {
    var writeback = true
    var pageSize = 16384

    static let current: Result<StorageTuning, VaultError> = Result { () throws(VaultError) in
        try StorageTuning(environment: ProcessInfo.processInfo.environment)
    }

    init() {}

    init(environment env: [String: String]) throws(VaultError) {
        switch env["SARAH_VAULT_WRITEBACK"] {
        case nil, "", "1": writeback = true
        case "0": writeback = false
        case .some(let other):
            throw VaultError(
                .invalidInput, "SARAH_VAULT_WRITEBACK is '\(other)': it must be 1 or 0",
                hints: ["unset it to use the default"])
        }
        if let text = env["SARAH_VAULT_PAGE_SIZE"], !text.isEmpty {
            guard let n = Int(text), n >= 4096, n <= 65536, n & (n - 1) == 0 else {
                throw VaultError(
                    .invalidInput, "SARAH_VAULT_PAGE_SIZE is '\(text)': it must be a power of two from 4096 to 65536",
                    hints: ["unset it to use the default (16384)"])
            }
            pageSize = n
        }
    }

    /// Installs the writeback hint into SQLite's unix VFS when it is on. Process-wide and
    /// idempotent; it must be in place before the first connection opens, which this call
    /// guarantees because every connection is opened through `SQLiteDatabase`.
    func prepareVFS() {
        if writeback { _ = sarahvault_writeback_install() }
    }
}
