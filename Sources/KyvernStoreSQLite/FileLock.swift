#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import KyvernStore
import Synchronization

/// An exclusive advisory lock (`flock`) on a file beside the database, held while a store is
/// open: the in-memory revision and watch fan-out are only right for a single opener, so a
/// second store on the same file, in this process or another, fails to open.
final class FileLock: Sendable {
    private let descriptor: Mutex<Int32>

    init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError.backend("cannot open lock file \(path): errno \(errno)")
        }
        // A child process forked by another thread holds a copy of the descriptor (and so the lock)
        // until it execs, which closes it (O_CLOEXEC): a store closed and reopened at that moment
        // finds its own lock taken for a few milliseconds. So a held lock is tried again for a
        // second before it counts as another store's.
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            attempts += 1
            if code == EWOULDBLOCK, attempts < 100 {
                usleep(10_000)
                continue
            }
            close(fd)
            if code == EWOULDBLOCK {
                throw StoreError.backend("\(path) is locked: the database is open in another store")
            }
            throw StoreError.backend("cannot lock \(path): errno \(code)")
        }
        descriptor = Mutex(fd)
    }

    /// Releases the lock (idempotent).
    func release() {
        descriptor.withLock { fd in
            if fd >= 0 {
                close(fd)  // closing the descriptor releases the flock
                fd = -1
            }
        }
    }

    deinit {
        release()
    }
}
