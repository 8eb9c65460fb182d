#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CKyvernLinux
import Foundation

/// Socket set-up done on threads of their own (accept and namespace switches block or are per thread).
enum UnixSockets {
    static func listen(_ path: String) throws -> Int32 {
        let fd = kyvern_unix_listen(path)
        guard fd >= 0 else { throw SystemError("listen on \(path)", code: -fd) }
        return fd
    }

    static func connect(_ path: String) throws -> Int32 {
        let fd = kyvern_unix_connect(path)
        guard fd >= 0 else { throw SystemError("connect to \(path)", code: -fd) }
        return fd
    }

    /// Accepts one connection and receives the descriptor sent over it (runc's console socket).
    static func receiveDescriptor(listener: Int32) async -> Int32? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let connection = kyvern_accept(listener)
                guard connection >= 0 else { return continuation.resume(returning: nil) }
                let fd = kyvern_receive_fd(connection)
                close(connection)
                continuation.resume(returning: fd >= 0 ? fd : nil)
            }
        }
    }

    static func connectLoopback(networkNamespacePath: String, port: Int) async throws -> Int32 {
        let fd: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: kyvern_connect_loopback_in_netns(networkNamespacePath, Int32(port))) }
        }
        guard fd >= 0 else { throw SystemError("connect to 127.0.0.1:\(port) in \(networkNamespacePath)", code: -fd) }
        return fd
    }
}

/// `kubectl port-forward`: one TCP connection to the pod's loopback, relayed both ways.
enum PortForwarder {
    static func forward(networkNamespacePath: String, port: Int, io: ByteStream) async throws {
        let fd = try await UnixSockets.connectLoopback(networkNamespacePath: networkNamespacePath, port: port)
        let reader = dup(fd)
        let feeder = Task {
            for await chunk in io.incoming {
                if await !Relay.write(fd, chunk) { break }
            }
            shutdown(fd, Int32(SHUT_WR))
        }
        await withTaskCancellationHandler {
            await Relay.pump(reader, to: io.outgoing)
        } onCancel: {
            shutdown(fd, Int32(SHUT_RDWR))
        }
        feeder.cancel()
        close(fd)
    }
}

/// `exec -t`: runc (not detached, so that its exit code is the command's) gets a pseudo-terminal of
/// ours as its stdio and controlling terminal; it proxies that to the container's terminal in raw
/// mode, and a TIOCSWINSZ on our side reaches it as SIGWINCH, which it passes on as a resize.
enum TerminalSession {
    /// - Parameter command: the runc command line to start, given the client's first terminal size
    ///   (nil if none came): runc sizes the container's terminal from it before the command runs,
    ///   where copying our terminal's size afterwards would race a command that reads it at once.
    static func run(io: StreamIO, command: @Sendable (TerminalSize?) throws -> [String]) async throws -> Int32 {
        var name = [CChar](repeating: 0, count: 128)
        let master = kyvern_open_pty(&name, name.count)
        guard master >= 0 else { throw SystemError("open a pseudo-terminal", code: -master) }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let writer = dup(master)
        let (applied, appliedInput) = AsyncStream<TerminalSize>.makeStream()
        let resizer = Task {
            if let resize = io.resize {
                for await size in resize {
                    kyvern_set_window_size(writer, size.height, size.width)
                    appliedInput.yield(size)
                }
            }
            appliedInput.finish()
        }
        // A client with a terminal sends its size right after connecting, so wait for it (up to 2 s:
        // the proxy and agent relay it, on a loaded 2-core node too) rather than start at 0x0.
        var firstSize: TerminalSize?
        if io.resize != nil {
            firstSize = await withTaskGroup(of: TerminalSize?.self) { group in
                group.addTask { for await size in applied { return size }; return nil }
                group.addTask { try? await Task.sleep(for: .seconds(2)); return nil }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        let pid: pid_t
        do {
            var options = ChildProcess.Options(newSession: true)
            options.terminalPath = slavePath
            pid = try ChildProcess.spawn(try command(firstSize), options: options)
        } catch {
            resizer.cancel()
            close(writer)
            close(master)
            throw error
        }
        let feeder = Task {
            guard let stdin = io.stdin else { return }
            for await chunk in stdin {
                if await !Relay.write(writer, chunk) { break }
            }
        }
        // The master reads EIO once runc and the command have closed the terminal.
        await Relay.pump(master, to: io.stdout)
        let code = await ChildProcess.wait(pid)
        feeder.cancel()
        resizer.cancel()
        close(writer)
        return code
    }
}
