import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The plaintext files in progress (`*.partial-*`, and the documents of an `open` until every
/// one is complete), so that SIGTERM, SIGINT or SIGHUP removes them before the process ends.
///
/// The CLI calls `removeOnSignals()` first thing: it blocks those signals in every thread and
/// waits for them on one thread of its own with `sigwait`, so the removal runs as ordinary
/// code (a lock, `unlink`), not inside an asynchronous signal handler. SIGKILL cannot be
/// caught: what it can leave is said in docs/SECURITY.md.
public enum PartialFiles {
    private struct State {
        var paths: Set<String> = []
        var terminating = false
    }

    private static let state = Mutex(State())

    /// Creates `path` exclusively (mode 0600 from the first byte, never through a symbolic link)
    /// and registers it, both under the lock, so a signal can never miss a file that exists.
    /// Returns the descriptor, or -1 with `errno` set.
    static func create(_ path: String) -> Int32 {
        state.withLock { (s) -> Int32 in
            guard !s.terminating else {
                errno = EINTR
                return -1
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { s.paths.insert(path) }
            return fd
        }
    }

    /// Registers a file about to be made (a final name linked from a complete temporary), so a
    /// signal before `release` removes it too. False once the process is terminating.
    static func adopt(_ path: String) -> Bool {
        state.withLock { (s) -> Bool in
            guard !s.terminating else { return false }
            s.paths.insert(path)
            return true
        }
    }

    /// Removes the file and forgets it.
    static func discard(_ path: String) {
        state.withLock { (s) in
            unlink(path)
            s.paths.remove(path)
        }
    }

    /// Forgets the file and leaves it in place (it is complete and the user's now).
    static func release(_ path: String) {
        _ = state.withLock { $0.paths.remove(path) }
    }

    /// The files a signal would remove now (for tests).
    static var registered: Set<String> { state.withLock { $0.paths } }

    /// Installs the removal for SIGTERM, SIGINT and SIGHUP; a signal the process was started
    /// with ignored (`nohup`, a background job's SIGINT) stays ignored. Call it before any
    /// other thread starts, so that every thread inherits the blocked mask.
    public static func removeOnSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        let ignore = unsafeBitCast(SIG_IGN, to: Int.self)  // C function pointers are not Equatable
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            var current = sigaction()
            guard sigaction(sig, nil, &current) == 0 else { continue }
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == ignore { continue }
            sigaddset(&set, sig)
        }
        guard pthread_sigmask(SIG_BLOCK, &set, nil) == 0 else { return }
        let waited = set
        let thread = Thread {
            var set = waited
            var sig: Int32 = 0
            while sigwait(&set, &sig) != 0 {}
            terminate(signal: sig)
        }
        thread.name = "sarah-vault signals"
        thread.start()
    }

    /// Removes every registered file, then ends the process by the same signal (so the parent
    /// sees how it ended), without running the other threads' cleanup.
    private static func terminate(signal sig: Int32) -> Never {
        state.withLock { (s) in
            s.terminating = true
            for path in s.paths { unlink(path) }
            s.paths.removeAll()
        }
        Glibc.signal(sig, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(sig)
        _exit(128 + sig)
    }
}
