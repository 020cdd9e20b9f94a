import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// File access for the library: small files read whole with a size limit, new files created
/// exclusively, large files streamed in chunk-sized reads, and outputs written to a temporary
/// name and renamed into place only when complete.
enum FileIO {
    static func readSmall(path: String, limit: Int, what: String) throws(VaultError) -> [UInt8] {
        try OpenVaultFiles.refuse(path: path, what: what)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw openError(path, what: what) }
        try OpenVaultFiles.refuse(descriptor: fd, path: path, what: what)  // leaves fd open if so
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw VaultError(.io, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
            guard out.count <= limit else {
                throw VaultError(.invalidInput, "the \(what) \(path) is too large (over \(limit) bytes)")
            }
        }
        return out
    }

    static func createExclusive(path: String, bytes: [UInt8], mode: mode_t, what: String) throws(VaultError) {
        // O_EXCL|O_NOFOLLOW: the file is new and ours, with `mode` from its first byte (never a
        // chmod afterwards, which another local user could race with an open of their own).
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            if errno == EEXIST {
                throw VaultError(
                    .alreadyExists, "\(path) already exists: refusing to overwrite an \(what)",
                    hints: ["choose another --out path, or move the old file away yourself"])
            }
            throw openError(path, what: what)
        }
        var ok = writeAll(fd, bytes) && fsync(fd) == 0
        ok = close(fd) == 0 && ok
        guard ok else {
            unlink(path)
            throw VaultError(.io, "cannot write the \(what) \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    static func writeAll(_ fd: Int32, _ p: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < p.count {
            let n = write(fd, p.baseAddress! + offset, p.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    static func openError(_ path: String, what: String) -> VaultError {
        switch errno {
        case ENOENT: return VaultError(.notFound, "no \(what) at \(path)")
        case EACCES, EPERM: return VaultError(.io, "permission denied reading the \(what) \(path)")
        case EISDIR: return VaultError(.invalidInput, "\(path) is a directory, not a \(what)")
        default: return VaultError(.io, "cannot open the \(what) \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads a file in full chunks, so the content cipher sees every chunk but the last at full size.
final class ChunkReader {
    private let fd: Int32
    let path: String
    let size: Int64

    init(path: String) throws(VaultError) {
        try OpenVaultFiles.refuse(path: path, what: "document")
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.openError(path, what: "file") }
        try OpenVaultFiles.refuse(descriptor: fd, path: path, what: "document")  // leaves fd open if so
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw VaultError(.invalidInput, "\(path) is not a regular file")
        }
        self.fd = fd
        self.path = path
        self.size = Int64(st.st_size)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { close(fd) }

    /// Fills `buffer` as far as the file allows; returns the count (less than the buffer only at EOF).
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(VaultError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw VaultError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}

@available(*, unavailable)
extension ChunkReader: Sendable {}

/// Where plaintext goes: a file written under a temporary name and renamed into place only when
/// every chunk has been authenticated, or standard output.
public final class PlaintextSink {
    private let fd: Int32
    private let finalPath: String?
    private let tempPath: String?
    private var finished = false

    public static func standardOutput() -> PlaintextSink { PlaintextSink(fd: 1, finalPath: nil, tempPath: nil) }

    public static func file(_ path: String) throws(VaultError) -> PlaintextSink {
        if FileManager.default.fileExists(atPath: path) {
            throw VaultError(.alreadyExists, "\(path) already exists: refusing to overwrite it")
        }
        let temp = path + ".partial-" + Hex.encode(Sodium.randomBytes(4))
        let fd = PartialFiles.create(temp)
        guard fd >= 0 else { throw FileIO.openError(temp, what: "output file") }
        return PlaintextSink(fd: fd, finalPath: path, tempPath: temp)
    }

    private init(fd: Int32, finalPath: String?, tempPath: String?) {
        self.fd = fd
        self.finalPath = finalPath
        self.tempPath = tempPath
    }

    func write(_ p: UnsafeRawBufferPointer) throws(VaultError) {
        guard FileIO.writeAll(fd, p) else {
            throw VaultError(.io, "cannot write the output: \(String(cString: strerror(errno)))")
        }
    }

    /// Makes the output visible (renames the temporary file into place).
    func commit() throws(VaultError) {
        finished = true
        guard let tempPath, let finalPath else { return }
        // No fsync: the output is the reader's own copy, like any file they save; what must be
        // durable (the audit entry of the read) was committed before the first byte.
        let ok = close(fd) == 0
        guard ok, link(tempPath, finalPath) == 0 else {
            let reason = String(cString: strerror(errno))
            PartialFiles.discard(tempPath)
            throw VaultError(.io, "cannot create \(finalPath): \(reason)")
        }
        PartialFiles.discard(tempPath)  // the complete output stays under its own name
    }

    deinit {
        if let tempPath, !finished {
            close(fd)
            PartialFiles.discard(tempPath)  // a failed read leaves no partial plaintext behind
        }
    }
}

@available(*, unavailable)
extension PlaintextSink: Sendable {}

/// Small text inputs the CLI reads for the library (roster, policy, recovery key, summary):
/// read with a size limit, so a hostile multi-gigabyte file is refused without being loaded,
/// and decoded as UTF-8 or refused with one clear error.
public enum TextFile {
    public static func read(_ path: String, what: String, limit: Int = 1 << 20) throws(VaultError) -> String {
        let bytes = try FileIO.readSmall(path: path, limit: limit, what: what)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw VaultError(.invalidInput, "the \(what) \(path) is not UTF-8 text")
        }
        return text
    }
}

/// New private files the CLI writes for a person (the recovery key, a review, an incident
/// record): mode 0600 from the first byte, created exclusively, never over an existing file or
/// through a symbolic link, fsynced.
public enum PrivateFile {
    public static func create(_ path: String, contents: [UInt8], what: String) throws(VaultError) {
        try FileIO.createExclusive(path: path, bytes: contents, mode: 0o600, what: what)
    }
}
