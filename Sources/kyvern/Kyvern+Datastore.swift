import ArgumentParser
import Foundation
import KyvernServer
import Logging

extension Kyvern {
    struct DatastoreCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "datastore",
            abstract: "Move a stopped cluster's state between backends (SQLite ↔ etcd).",
            subcommands: [Export.self, Import.self])
    }
}

/// Which backend a datastore subcommand reads or writes, named as `kyvern server` names it.
struct DatastoreSelection: ParsableArguments {
    @Option(help: "The server's data directory, whose state.db is used when no --datastore-endpoint is given.")
    var dataDir: String?

    @Option(help: "etcd members (http(s)://h1:2379,...) or sqlite:///path (default: state.db in the data directory).")
    var datastoreEndpoint: String?

    @Option(help: "CA certificate (PEM) that signed the etcd members' certificates.")
    var datastoreCafile: String?

    @Option(help: "Client certificate (PEM) for etcd.")
    var datastoreCertfile: String?

    @Option(help: "Client key (PEM) for etcd.")
    var datastoreKeyfile: String?

    func datastore() throws -> Datastore {
        do {
            return try Datastore.parse(endpoint: datastoreEndpoint, dataDirectory: dataDir ?? ServerOptions.defaultDataDirectory(),
                                       caFile: datastoreCafile, certFile: datastoreCertfile, keyFile: datastoreKeyfile)
        } catch {
            throw ValidationError("--datastore-endpoint: \(error)")
        }
    }

    var logger: Logger {
        var logger = Logger(label: "kyvern.datastore")
        logger.logLevel = .warning
        return logger
    }
}

/// Progress lines on stderr (stdout carries the dump).
private func report(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Prints a migration or store error as one line and exits 1.
private func runDatastoreCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        report("error: \(error)")
        throw ExitCode(1)
    }
}

extension Kyvern.DatastoreCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every key of the datastore, as JSON lines, to stdout (or --output). Stop the server first.")

        @OptionGroup var source: DatastoreSelection

        @Option(name: .shortAndLong, help: "Write to this file instead of stdout.")
        var output: String?

        func run() async throws {
            let datastore = try source.datastore()
            try await runDatastoreCommand {
                let (header, entries) = try await DatastoreMigration.withStore(datastore, logger: source.logger) { store in
                    try await DatastoreMigration.snapshot(of: store) { count in
                        if count > 0 && count % 5000 == 0 { report("read \(count) keys") }
                    }
                }
                let handle: FileHandle
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil),
                          let file = FileHandle(forWritingAtPath: output) else {
                        throw DatastoreMigration.MigrationError("cannot write \(output)")
                    }
                    handle = file
                } else {
                    handle = FileHandle.standardOutput
                }
                var buffer = Data()
                for line in DatastoreMigration.encode(header: header, entries: entries) {
                    buffer.append(contentsOf: line.utf8)
                    if buffer.count > 1 << 20 { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
                }
                try handle.write(contentsOf: buffer)
                if output != nil { try handle.close() }
                report("exported \(header.keys) keys at revision \(header.revision)")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the keys of an export (a file, or stdin) into the datastore, which must be empty unless --force.")

        @OptionGroup var target: DatastoreSelection

        @Argument(help: "The export file; stdin when omitted or '-'.")
        var file: String?

        @Flag(help: "Write into a datastore that already holds keys, overwriting those the export also holds.")
        var force = false

        func run() async throws {
            let datastore = try target.datastore()
            try await runDatastoreCommand {
                let data: Data
                if let file, file != "-" {
                    guard let contents = FileManager.default.contents(atPath: file) else {
                        throw DatastoreMigration.MigrationError("cannot read \(file)")
                    }
                    data = contents
                } else {
                    data = try FileHandle.standardInput.readToEnd() ?? Data()
                }
                let (header, entries) = try DatastoreMigration.decode(data)
                report("importing \(header.keys) keys (exported at revision \(header.revision))")
                let force = force
                let written = try await DatastoreMigration.withStore(datastore, logger: target.logger) { store in
                    try await DatastoreMigration.load(entries, into: store, force: force) { count in
                        if count % 1000 == 0 { report("wrote \(count)/\(header.keys) keys") }
                    }
                }
                report("imported \(written) keys")
            }
        }
    }
}
