import Foundation
import Synchronization

/// The vault files this process has open through SQLite, by device and inode.
///
/// SQLite's locks on a vault are POSIX advisory locks, and on Linux closing *any* descriptor of a
/// file drops every such lock the process holds on it: one `open`/`close` of the vault file by
/// other code in the middle of a transaction lets other processes write beside it and corrupts
/// the vault (issue 10). So no code outside SQLite may open the vault file while a connection is
/// open. The file layer (`Support/FileIO`) asks here before it opens anything a person names —
/// `sarah-vault archive *` in the directory that holds the vault would otherwise read the vault
/// into itself — and after opening, to close the race of a path that changed in between.
enum OpenVaultFiles {
    struct FileID: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    private static let open = Mutex<[FileID: Int]>([:])

    static func id(of st: stat) -> FileID { FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) }

    static func id(path: String) -> FileID? {
        var st = stat()
        return stat(path, &st) == 0 ? id(of: st) : nil
    }

    static func id(descriptor fd: Int32) -> FileID? {
        var st = stat()
        return fstat(fd, &st) == 0 ? id(of: st) : nil
    }

    /// Called by `SQLiteDatabase` once its connection is open; `release` when it closes.
    static func register(_ file: FileID) { open.withLock { $0[file, default: 0] += 1 } }

    static func release(_ file: FileID) {
        open.withLock { files in
            if let n = files[file], n > 1 { files[file] = n - 1 } else { files[file] = nil }
        }
    }

    static func isOpen(_ file: FileID) -> Bool { open.withLock { $0[file] != nil } }

    /// Throws if `path` names a vault this process has open.
    static func refuse(path: String, what: String) throws(VaultError) {
        if let file = id(path: path), isOpen(file) { throw refusal(path, what) }
    }

    /// Throws if the descriptor just opened is a vault this process has open. The descriptor is
    /// then deliberately *not* closed: closing it would drop SQLite's locks, and one leaked
    /// descriptor in a command that is about to fail is the lesser harm.
    static func refuse(descriptor fd: Int32, path: String, what: String) throws(VaultError) {
        if let file = id(descriptor: fd), isOpen(file) { throw refusal(path, what) }
    }

    private static func refusal(_ path: String, _ what: String) -> VaultError {
        VaultError(
            .invalidInput, "\(path) is the vault file itself, not a \(what)",
            hints: ["name the \(what) you meant; the vault is never read or written except through the vault"])
    }
}
