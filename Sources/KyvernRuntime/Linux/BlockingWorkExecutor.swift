import NIOCore
import NIOPosix

/// Threads of their own for the actors whose methods block in system calls (mkdir, mount, cgroup
/// files, write-and-rename of records): the runtime and a node's pod volumes.
///
/// Swift's cooperative pool has one thread per core and runs every task of the process (API
/// requests, controllers, the scheduler). A blocking call there holds a whole core's share of all
/// of them; with a hundred pods starting on a file system slow to allocate inodes (an ext4 without
/// a journal checks every new inode against recently deleted ones), the control plane stalled
/// behind the agent's file work.
public enum BlockingWorkExecutor {
    /// Two threads: the runtime's and the volumes' actors on different ones, so neither waits on
    /// the other's system calls.
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// A serial executor on one of those threads, for an actor's `unownedExecutor`; the actor
    /// keeps the returned executor (an unowned reference to it must stay valid).
    public static func next() -> any SerialExecutor {
        group.next().executor
    }
}
