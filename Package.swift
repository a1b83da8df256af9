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
    ],
    targets: [
        // The only module that sees C.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .target(name: "LiaisonCrypto", dependencies: ["CSodium"]),
        .target(name: "LiaisonCore", dependencies: ["LiaisonCrypto"]),
        // Protocol state machines and framing: no sockets, no clock.
        .target(name: "LiaisonWire", dependencies: ["LiaisonCrypto"]),
        .target(
            name: "LiaisonCLI",
            dependencies: [
                "LiaisonCore",
                "LiaisonCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "liaison", dependencies: ["LiaisonCLI"]),
        .executableTarget(name: "liaisond", dependencies: ["LiaisonCore"]),
        .executableTarget(name: "liaison-bench", dependencies: ["LiaisonCore", "LiaisonCrypto"]),
        .target(name: "LiaisonTestSupport", dependencies: ["LiaisonCore", "LiaisonCrypto"], path: "Sources/LiaisonTestSupport"),
        .testTarget(name: "LiaisonCryptoTests", dependencies: ["LiaisonCrypto", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonCoreTests", dependencies: ["LiaisonCore", "LiaisonCrypto", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonWireTests", dependencies: ["LiaisonWire", "LiaisonCrypto", "LiaisonTestSupport"]),
        .testTarget(name: "LiaisonCLITests", dependencies: ["LiaisonCLI", "LiaisonCore", "LiaisonTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
