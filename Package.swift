// swift-tools-version: 6.1
import PackageDescription

// Layout (see README "Architecture"):
//   PeregrineWire     C header shared with bpf/: the kernel/user record layout, one home.
//   PeregrineEvents   pure core: decoding records into non-owning event views, process table.
//   PeregrineRules    pure core: Falco rule language (load, parse, diagnose, compile).
//   PeregrineEngine   pure core: events in, alerts out (field extraction, rule matching).
//   PeregrineCapture  capture files: our block format and Falco/sysdig .scap (zlib only).
//   CLibbpf / CPeregrineProbe / PeregrineProbe
//                     the only code that touches libbpf and the kernel.
//   PeregrineRuleTest rule unit tests: YAML cases of events -> records -> Engine -> expected alerts.
//   PeregrineService  the agent's self-monitoring HTTP port (health, Prometheus metrics).
//   PeregrineContainers container and pod metadata from the CRI runtime (gRPC over its unix
//                     socket; code generated from proto/cri by scripts/gen-cri), off the hot path.
//   PeregrineOutputs  what leaves the agent off the hot path, through bounded queues: alerts
//                     (file and webhook outputs) and the live capture file.
//   peregrine         thin CLI over the libraries.
let package = Package(
    name: "Peregrine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "peregrine", targets: ["peregrine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        .target(name: "PeregrineWire"),
        .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]),
        .target(name: "CPeregrineProbe", dependencies: ["CLibbpf", "PeregrineWire"]),
        .target(name: "PeregrineEvents"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libdeflate: capture blocks are compressed and inflated whole, where it is 3x faster
        // than zlib's streaming inflate on our blocks; zlib still reads gzip'd .scap files.
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(name: "PeregrineCapture", dependencies: ["PeregrineEvents", "CZlib", "CDeflate"]),
        .target(name: "PeregrineRules", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "PeregrineEngine",
            dependencies: ["PeregrineEvents", "PeregrineRules"],
            // The matcher is single-threaded and its per-event cache lives in class storage:
            // dynamic exclusivity checks there cost ~20% of matching (measured with perf).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(
            name: "PeregrineService",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "PeregrineContainers",
            dependencies: [
                "PeregrineEvents", "PeregrineRules",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "PeregrineOutputs",
            dependencies: [
                "PeregrineRules", "PeregrineCapture", "PeregrineEvents",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // `CaptureOutput.append` runs per event on the consumer thread and updates its
            // object's state: dynamic exclusivity checks there cost ~8% of the agent's CPU
            // under load (perf, `scripts/bench-capture`).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(name: "PeregrineProbe", dependencies: ["CPeregrineProbe", "PeregrineWire", "PeregrineEvents"]),
        .target(name: "PeregrineRuleTest", dependencies: ["PeregrineEngine", "PeregrineEvents", "PeregrineRules", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "peregrine",
            dependencies: [
                "PeregrineEvents", "PeregrineProbe", "PeregrineRules", "PeregrineCapture", "PeregrineEngine",
                "PeregrineService", "PeregrineRuleTest", "PeregrineContainers", "PeregrineOutputs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The live and replay loops hand each record to closures that mutate the one
            // pipeline of the consumer thread; dynamic exclusivity checks on those captures
            // cost ~230 instructions per event (callgrind, `scripts/bench-replay`).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .executableTarget(name: "probe-bench", dependencies: ["PeregrineProbe", "PeregrineEvents"]),
        // Counts malloc-family calls for engine-bench's allocations-per-event report.
        .target(name: "CAllocCounter"),
        .executableTarget(name: "engine-bench", dependencies: ["PeregrineEngine", "PeregrineCapture", "PeregrineEvents", "PeregrineRules", "CAllocCounter"]),
        .testTarget(name: "PeregrineEventsTests", dependencies: ["PeregrineEvents", "PeregrineWire"]),
        .testTarget(name: "PeregrineProbeTests", dependencies: ["PeregrineProbe", "PeregrineEvents"]),
        .testTarget(name: "PeregrineRulesTests", dependencies: ["PeregrineRules"]),
        .testTarget(name: "PeregrineEngineTests", dependencies: ["PeregrineEngine", "PeregrineEvents", "PeregrineRules"]),
        .testTarget(name: "PeregrineCaptureTests", dependencies: ["PeregrineCapture", "PeregrineEvents"]),
        .testTarget(
            name: "PeregrineContainersTests",
            dependencies: [
                "PeregrineContainers", "PeregrineEvents", "PeregrineEngine", "PeregrineRules",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ]
        ),
        .testTarget(
            name: "PeregrineOutputsTests",
            dependencies: ["PeregrineOutputs", "PeregrineRules", "PeregrineCapture", "PeregrineEvents", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(name: "PeregrineRuleTestTests", dependencies: ["PeregrineRuleTest", "PeregrineRules", "PeregrineEvents"]),
    ]
)

// Package-wide settings, applied once.
for target in package.targets where target.type != .system {
    if target.type == .regular || target.type == .executable || target.type == .test {
        var settings = target.swiftSettings ?? []
        settings.append(.enableUpcomingFeature("ExistentialAny"))
        target.swiftSettings = settings
    }
}
