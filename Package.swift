// swift-tools-version:6.0
import PackageDescription

// Kalam: pretrain, adapt and decode transformer language models in Swift.
// Modules depend only downward: KalamJSON → KalamCore → KalamNN → KalamText / KalamModels →
// KalamTraining / KalamGeneration → KalamLab → KalamCLI → kalam; KalamText → KalamData → KalamCLI.
// Library targets carry no unsafeFlags so Kalam stays usable as a versioned dependency.

let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "Kalam",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "KalamJSON", targets: ["KalamJSON"]),
        .library(name: "KalamCore", targets: ["KalamCore"]),
        .library(name: "KalamNN", targets: ["KalamNN"]),
        .library(name: "KalamText", targets: ["KalamText"]),
        .library(name: "KalamData", targets: ["KalamData"]),
        .library(name: "KalamModels", targets: ["KalamModels"]),
        .library(name: "KalamTraining", targets: ["KalamTraining"]),
        .library(name: "KalamGeneration", targets: ["KalamGeneration"]),
        .library(name: "KalamLab", targets: ["KalamLab"]),
        .executable(name: "kalam", targets: ["kalam"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // CBLAS from OpenBLAS on Linux (Debian: libopenblas-dev). macOS uses Accelerate instead.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Kalam's own matrix-product kernels (generic, AVX2, AVX-512), chosen at run time; no flags.
        .target(name: "CKalamKernels"),
        // zlib, for gzip-compressed files in installed packages (Debian: zlib1g-dev; macOS ships libz).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Strict JSON (ordered keys, exact integers, duplicate keys rejected), below everything else.
        .target(name: "KalamJSON", swiftSettings: swift5),
        // Atomic file writes (temporary file, fsync, rename), shared by every module that writes.
        .target(name: "KalamFiles", swiftSettings: swift5),
        .target(
            name: "KalamCore",
            dependencies: [
                "KalamJSON", "KalamFiles", "CKalamKernels",
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: swift5
        ),
        .target(name: "KalamNN", dependencies: ["KalamCore"], swiftSettings: swift5),
        .target(
            name: "KalamText",
            dependencies: [
                "KalamJSON", "KalamFiles", "CZlib", .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swift5
        ),
        // `kalam data install`: the catalog of corpora and models and the installer (Debian, PyPI).
        .target(name: "KalamData", dependencies: ["KalamText", "KalamFiles"], swiftSettings: swift5),
        .target(
            name: "KalamModels", dependencies: ["KalamNN", "KalamText", "KalamJSON", "KalamFiles"],
            swiftSettings: swift5),
        .target(
            name: "KalamTraining", dependencies: ["KalamModels", "KalamText", "KalamFiles"], swiftSettings: swift5),
        .target(
            name: "KalamGeneration",
            dependencies: ["KalamModels", "KalamJSON"],
            swiftSettings: swift5
        ),
        // `kalam lab`: the experiments E1-E6, the verdicts on the brief's claims, the report.
        .target(
            name: "KalamLab", dependencies: ["KalamTraining", "KalamGeneration", "KalamFiles"], swiftSettings: swift5),
        .target(
            name: "KalamCLI",
            dependencies: [
                "KalamTraining", "KalamGeneration", "KalamData", "KalamFiles", "KalamLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swift5
        ),
        .executableTarget(name: "kalam", dependencies: ["KalamCLI"], swiftSettings: swift5),
        // The fuzzing harness (run on demand, not by the tests): mutated inputs to every file reader.
        .executableTarget(
            name: "kalam-fuzz", dependencies: ["KalamTraining"], path: "Sources/KalamFuzz", swiftSettings: swift5),
        // The crash-anywhere harness (run on demand): kill -9 at random moments of a run, resume, compare.
        .executableTarget(
            name: "kalam-crash", dependencies: ["KalamTraining"], path: "Sources/KalamCrash", swiftSettings: swift5),
        .testTarget(name: "KalamJSONTests", dependencies: ["KalamJSON"], swiftSettings: swift5),
        .testTarget(name: "KalamFilesTests", dependencies: ["KalamFiles"], swiftSettings: swift5),
        .testTarget(name: "KalamCoreTests", dependencies: ["KalamCore", "CKalamKernels"], swiftSettings: swift5),
        .testTarget(name: "KalamNNTests", dependencies: ["KalamNN"], swiftSettings: swift5),
        .testTarget(name: "KalamTextTests", dependencies: ["KalamText", "KalamJSON", "CZlib"], swiftSettings: swift5),
        .testTarget(name: "KalamDataTests", dependencies: ["KalamData", "KalamText"], swiftSettings: swift5),
        .testTarget(name: "KalamModelsTests", dependencies: ["KalamModels"], swiftSettings: swift5),
        .testTarget(name: "KalamTrainingTests", dependencies: ["KalamTraining"], swiftSettings: swift5),
        .testTarget(name: "KalamGenerationTests", dependencies: ["KalamGeneration"], swiftSettings: swift5),
        .testTarget(name: "KalamLabTests", dependencies: ["KalamLab"], swiftSettings: swift5),
        .testTarget(name: "KalamCLITests", dependencies: ["KalamCLI", "KalamLab"], swiftSettings: swift5),
    ]
)
