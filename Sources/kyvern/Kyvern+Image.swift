import ArgumentParser
import Foundation
import KyvernRuntime
import KyvernServer
import Logging

extension Kyvern {
    struct Image: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the node's image store (DATA/images).",
            subcommands: [Import.self, List.self, Remove.self, Pull.self])
    }
}

/// The data-dir option every image subcommand shares, defaulting as `kyvern server` does.
struct ImageStoreOptions: ParsableArguments {
    @Option(help: "The server's data directory; images live in DATA/images (default /var/lib/kyvern as root, ~/.kyvern otherwise).")
    var dataDir: String?

    func open() throws -> ImageStore {
        let data = dataDir ?? ServerOptions.defaultDataDirectory()
        var logger = Logger(label: "kyvern.images")
        logger.logLevel = .warning
        return try ImageStore(root: (data as NSString).appendingPathComponent("images"), logger: logger)
    }
}

/// Prints an image error as one line and exits 1, without argument-parser's usage text.
func runImageCommand(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ImageError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

extension Kyvern.Image {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an OCI image layout (directory or tar) or a docker save archive.")

        @OptionGroup var store: ImageStoreOptions

        @Argument(help: "The archive file or layout directory.")
        var path: String

        @Option(help: "Name the image REPOSITORY[:TAG] instead of using the archive's own name.")
        var name: String?

        func run() async throws {
            try await runImageCommand {
                let images = try await store.open().importImages(from: path, name: name)
                for image in images { print("imported \(image.reference) (\(image.id))") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])

        @OptionGroup var store: ImageStoreOptions

        @Flag(name: .shortAndLong, help: "Print image ids only.")
        var quiet = false

        func run() async throws {
            try await runImageCommand {
                let images = try await store.open().listImages()
                if quiet {
                    for image in images { print(image.id) }
                    return
                }
                print(ImageTable.render(images), terminator: "")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images by name or id.", aliases: ["rmi"])

        @OptionGroup var store: ImageStoreOptions

        @Argument(help: "Image names (busybox:1.36) or ids.")
        var references: [String]

        func validate() throws {
            if references.isEmpty { throw ValidationError("give at least one image to remove") }
        }

        func run() async throws {
            try await runImageCommand {
                let images = try store.open()
                for reference in references {
                    try await images.removeImage(reference)
                    print("deleted \(reference)")
                }
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pull an image from a registry (HTTPS; plain HTTP for localhost).")

        @OptionGroup var store: ImageStoreOptions

        @Argument(help: "The image, e.g. 127.0.0.1:5000/busybox:1.36.")
        var reference: String

        @Option(help: "USER:PASSWORD for the image's registry.")
        var creds: String?

        func run() async throws {
            try await runImageCommand {
                var credentials: [RegistryCredential] = []
                if let creds {
                    guard let colon = creds.firstIndex(of: ":") else { throw ValidationError("--creds must be USER:PASSWORD") }
                    let ref = try ImageReference(parsing: reference)
                    credentials.append(RegistryCredential(registry: ref.domain, username: String(creds[..<colon]),
                                                          password: String(creds[creds.index(after: colon)...])))
                }
                let id = try await store.open().pullImage(reference, credentials: credentials)
                print("Image is up to date for \(id)")
            }
        }
    }
}

/// `kyvern image ls` columns, as crictl prints them: one row per tag, `<none>` for untagged images.
enum ImageTable {
    static func render(_ images: [ImageInfo]) -> String {
        var rows = [["REPOSITORY", "TAG", "IMAGE ID", "SIZE"]]
        var body: [[String]] = []
        for image in images {
            let id = String(image.id.dropFirst("sha256:".count).prefix(12))
            let size = humanSize(image.size)
            var named = false
            for tag in image.repoTags {
                guard let ref = try? ImageReference(parsing: tag), let t = ref.tag else { continue }
                body.append([ref.repository, t, id, size])
                named = true
            }
            if !named {
                let repo = image.repoDigests.first.flatMap { try? ImageReference(parsing: $0) }?.repository ?? "<none>"
                body.append([repo, "<none>", id, size])
            }
        }
        rows += body.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == 3 ? cell : cell.padding(toLength: widths[c] + 3, withPad: " ", startingAt: 0) }
                .joined()
        }.joined(separator: "\n") + "\n"
    }

    /// Decimal units with three significant digits, as docker prints sizes (`4.27MB`, `953kB`).
    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format: "%.3g", value) + units[unit]
    }
}
