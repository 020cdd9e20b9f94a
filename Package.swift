// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SarahVault",
    products: [
        .library(name: "SarahVault", targets: ["SarahVault"]),
        .executable(name: "sarah-vault", targets: ["sarah-vault"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 of sealed chunks (format 2): BoringSSL's maintained SHA-extension / ARMv8 code.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The writeback hint inside SQLite's unix VFS, on SQLite's own descriptor (writeback.c).
        .target(name: "CSQLiteVFS", dependencies: ["CSQLite"]),
        .target(
            name: "SarahVault",
            dependencies: [
                "CSodium", "CSQLite", "CSQLiteVFS", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "sarah-vault",
            dependencies: [
                "SarahVault",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SarahVaultTests",
            dependencies: ["SarahVault"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}

// `make fuzz` (scripts/fuzz.sh) builds the libFuzzer harness in Fuzz/Harness from this package,
// with SARAH_VAULT_FUZZ=1 and `swift build --sanitize=fuzzer --sanitize=address`, in its own
// scratch directory; `@testable import` lets it call the library's internal parsers directly.
if Context.environment["SARAH_VAULT_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "sarah-vault-fuzz",
            dependencies: ["SarahVault"],
            path: "Fuzz/Harness",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"), .unsafeFlags(["-parse-as-library"]),
            ]
        ))
    package.products.append(.executable(name: "sarah-vault-fuzz", targets: ["sarah-vault-fuzz"]))
}
