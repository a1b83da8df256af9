// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Liaison",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "liaison", targets: ["liaison"]),
        .executable(name: "liaisond", targets: ["liaisond"]),
        .executable(name: "liaison-bench", targets: ["liaison-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // The only modules that see C: libsodium, and the Linux calls Glibc's module hides.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(name: "CLinux"),
        // One SQLite setting that only the C API's variadic sqlite3_config can make.
        .systemLibrary(name: "CSQLiteTuning", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "LiaisonCrypto", dependencies: ["CSodium"]),
        .target(name: "LiaisonCore", dependencies: ["LiaisonCrypto", "CLinux"]),
        // Protocol state machines and framing: no sockets, no clock.
        .target(name: "LiaisonWire", dependencies: ["LiaisonCrypto", "LiaisonCore"]),
        .target(name: "LiaisonAudit", dependencies: ["LiaisonCrypto", "LiaisonCore"]),
        // The owner of the node's SQLite databases: liaison.db (outbox, inbox, receipts) and audit.db.
        .target(name: "LiaisonStore", dependencies: ["LiaisonCore", "LiaisonCrypto", "LiaisonAudit", "CSQLiteTuning", .product(name: "GRDB", package: "GRDB.swift"),
                                                     .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The control-socket protocol shared by the CLI and the daemon.
        .target(name: "LiaisonControl", dependencies: ["LiaisonCore"]),
        .target(
            name: "LiaisonDaemon",
            dependencies: [
                "LiaisonCore", "LiaisonCrypto", "LiaisonWire", "LiaisonStore", "LiaisonControl", "LiaisonAudit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "LiaisonCLI",
            dependencies: [
                "LiaisonCore", "LiaisonControl", "LiaisonAudit", "LiaisonStore",
                "LiaisonCrypto", "LiaisonWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "liaison", dependencies: ["LiaisonCLI", "LiaisonStore"]),
        .executableTarget(name: "liaisond", dependencies: ["LiaisonDaemon", "LiaisonStore"]),
        .executableTarget(name: "liaison-bench", dependencies: ["LiaisonCore", "LiaisonCrypto", "LiaisonControl", "LiaisonAudit", "LiaisonStore"]),
        // The parsers that take outside input, under libFuzzer (Deploy/fuzz/run.sh).
        .executableTarget(name: "liaison-fuzz", dependencies: ["LiaisonCore", "LiaisonCrypto", "LiaisonWire", "LiaisonAudit", "LiaisonControl"]),
        .target(name: "LiaisonTestSupport", dependencies: ["LiaisonCore", "LiaisonCrypto"], path: "Sources/LiaisonTestSupport"),
        .testTarget(name: "LiaisonCryptoTests", dependencies: ["LiaisonCrypto", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonCoreTests", dependencies: ["LiaisonCore", "LiaisonCrypto", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonStoreTests", dependencies: ["LiaisonStore", "LiaisonCore", "LiaisonAudit", "LiaisonCrypto", "LiaisonTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LiaisonWireTests", dependencies: ["LiaisonWire", "LiaisonCrypto", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonAuditTests", dependencies: ["LiaisonAudit", "LiaisonCrypto", "LiaisonCore", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonCLITests", dependencies: ["LiaisonCLI", "LiaisonCore", "LiaisonAudit", "LiaisonStore", "LiaisonCrypto", "LiaisonTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "LiaisonDaemonTests", dependencies: ["LiaisonDaemon", "LiaisonCore", "LiaisonWire", "LiaisonControl", "LiaisonAudit", "LiaisonStore", "LiaisonTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
