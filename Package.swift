// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SarahVault",
    products: [
        .library(name: "SarahVault", targets: ["SarahVault"]),
        .executable(name: "sarah-vault", targets: ["sarah-vault"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
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
        // SHA-256 on the x86 SHA extensions, for digesting gigabytes of ciphertext (libsodium's
        // SHA-256 is portable C, a third of the speed); elsewhere libsodium's is used.
        .target(name: "CSHA256"),
        // An SQLite VFS that writes the pages a transaction appends in runs, not one by one.
        .target(name: "CSQLiteVFS", dependencies: ["CSQLite"]),
        .target(
            name: "SarahVault",
            dependencies: ["CSodium", "CSQLite", "CSHA256", "CSQLiteVFS"]
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

// `make bench` also builds the tool with SARAH_VAULT_BENCH_SWIFT_CRYPTO=1, in its own scratch
// directory: SHA-256 of the sealed chunks then comes from swift-crypto (BoringSSL) instead of
// CSHA256, so the two are timed side by side on the same files (README, "What stayed, and why").
// Normal builds and the tests never fetch or compile it.
if Context.environment["SARAH_VAULT_BENCH_SWIFT_CRYPTO"] == "1" {
    package.dependencies.append(.package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"))
    for target in package.targets where target.name == "SarahVault" {
        target.dependencies.append(.product(name: "Crypto", package: "swift-crypto"))
        target.swiftSettings = (target.swiftSettings ?? []) + [.define("SARAH_VAULT_SWIFT_CRYPTO")]
    }
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
