// swift-tools-version:6.1
import PackageDescription

let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kyvern",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kyvern", targets: ["kyvern"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.10.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.38.0"),
    ],
    targets: [
        .target(
            name: "KyvernAPI",
            dependencies: [
                .product(name: "Collections", package: "swift-collections"),
            ],
            swiftSettings: settings
        ),
        .target(name: "KyvernStore", swiftSettings: settings),
        // The CEL interpreter behind CRD validation rules and admission policies: pure code, no I/O.
        .target(name: "KyvernCEL", dependencies: ["KyvernAPI"], swiftSettings: settings),
        .target(
            name: "KyvernStoreSQLite",
            dependencies: [
                "KyvernStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernStoreEtcd",
            dependencies: [
                "KyvernStore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernAPIServer",
            dependencies: [
                "KyvernAPI",
                "KyvernCEL",
                "KyvernStore",
                "CZlib",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Resources/openapi")],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernServer",
            dependencies: [
                "KyvernAPI",
                "KyvernStore",
                "KyvernStoreSQLite",
                "KyvernStoreEtcd",
                "KyvernAPIServer",
                "KyvernClient",
                "KyvernScheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                "KyvernKubelet",
                "KyvernRuntime",
                "KyvernRuntimeCRI",
                "KyvernNetwork",
                "KyvernControllers",
                "KyvernDashboard",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernScheduler",
            dependencies: [
                "KyvernAPI",
                "KyvernClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernClient",
            dependencies: [
                "KyvernAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernControllers",
            dependencies: [
                "KyvernAPI",
                "KyvernClient",
                // csrapproving reads a request's subject (CN, O) from its PKCS#10 PEM.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // NIOThreadPool: the local-path provisioner's blocking directory work.
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        .target(name: "CKyvernLinux"),
        // zlib for SPDY/3 header blocks (port-forward): its dictionary calls are not in Foundation.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "KyvernRuntime",
            dependencies: [
                "CKyvernLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: settings
        ),
        // The CRI v1 client (containerd, CRI-O) behind ContainerRuntime: its own target so that only
        // nodes that choose it pull gRPC into KyvernRuntime's dependents.
        .target(
            name: "KyvernRuntimeCRI",
            dependencies: [
                "KyvernRuntime",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Generated/CRI_API_COMMIT"],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernKubelet",
            dependencies: [
                "KyvernClient",
                "KyvernRuntime",
                "KyvernAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: settings
        ),
        .target(
            name: "KyvernNetwork",
            dependencies: [
                "CKyvernLinux",
                "KyvernRuntime",
                "KyvernClient",
                "KyvernAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernNetworkTests",
            dependencies: ["KyvernNetwork", "KyvernRuntime", "KyvernClient", "KyvernAPI", "KyvernTestSupport",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: settings
        ),
        // The web dashboard: its page, script and style compiled in (Web/ is the source of the
        // generated Swift), login codes and sessions; the composition root mounts it on the API port.
        .target(name: "KyvernDashboard", exclude: ["Web"], swiftSettings: settings),
        .testTarget(name: "KyvernDashboardTests", dependencies: ["KyvernDashboard"], swiftSettings: settings),
        .testTarget(name: "KyvernServerTests", dependencies: ["KyvernServer", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: settings),
        .target(name: "KyvernTestSupport", dependencies: ["KyvernClient", "KyvernAPI", "KyvernRuntime"], swiftSettings: settings),
        .executableTarget(
            name: "kyvern",
            dependencies: [
                "KyvernServer",
                "KyvernRuntime",
                "KyvernRuntimeCRI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "KyvernAPITests", dependencies: ["KyvernAPI"], swiftSettings: settings),
        .testTarget(name: "KyvernCELTests", dependencies: ["KyvernCEL", "KyvernAPI"], swiftSettings: settings),
        .testTarget(
            name: "KyvernSchedulerTests",
            dependencies: [
                "KyvernScheduler", "KyvernAPI", "KyvernClient", "KyvernTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernClientTests",
            dependencies: [
                "KyvernClient", "KyvernAPI", "KyvernTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernControllersTests",
            dependencies: ["KyvernControllers", "KyvernClient", "KyvernAPI", "KyvernTestSupport",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernKubeletTests",
            dependencies: ["KyvernKubelet", "KyvernClient", "KyvernAPI", "KyvernTestSupport", "KyvernRuntime",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernRuntimeCRITests",
            dependencies: ["KyvernRuntimeCRI", "KyvernRuntime"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernRuntimeTests",
            dependencies: ["KyvernRuntime", "KyvernTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernStreamingTests",
            dependencies: [
                "KyvernKubelet", "KyvernAPIServer", "KyvernRuntime", "KyvernAPI", "KyvernStore", "KyvernTestSupport",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "KyvernStoreSQLiteTests", dependencies: ["KyvernStore", "KyvernStoreSQLite"], swiftSettings: settings),
        .testTarget(
            name: "KyvernStoreEtcdTests",
            dependencies: [
                "KyvernStore", "KyvernStoreEtcd", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "KyvernAPIServerTests",
            dependencies: [
                "KyvernAPIServer", "KyvernAPI", "KyvernStore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
    ]
)
