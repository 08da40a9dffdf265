#if canImport(Glibc)
import Glibc
#endif
import PeregrineEngine
import PeregrineEvents
import PeregrineRules
import Testing

@testable import PeregrineContainers

/// The consumer thread's container layer with a fake lookup: records built in memory go
/// through the same steps as `AlertPipeline` (table, tracker, engine, marker).
@Suite struct ContainerTrackerTests {
    static let idA = String(repeating: "a1", count: 32)
    static let idB = String(repeating: "b2", count: 32)
    static func cgroup(_ id: String) -> String { "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-\(id).scope" }

    static func exec(pid: UInt32, ppid: UInt32 = 1, comm: String, exe: String, args: [String], cgroup: String) -> [UInt8] {
        var w = RecordWriter(kind: .exec, syscall: .execve, timestampBootNs: 10, pid: pid, ppid: ppid, uid: 0, comm: comm)
        w.put(Int64(0), at: WireLayout.Exec.res)
        w.put(UInt32(args.count), at: WireLayout.Exec.argc)
        w.put(UInt32.max, at: WireLayout.Exec.loginuid)
        w.string(exe, at: WireLayout.Exec.exe)
        w.string(exe, at: WireLayout.Exec.filename)
        w.arguments(args, at: WireLayout.Exec.args)
        w.string("/", at: WireLayout.Exec.cwd)
        w.string(cgroup, at: WireLayout.Exec.cgroup)
        return w.bytes()
    }

    static func open(pid: UInt32, comm: String, path: String) -> [UInt8] {
        var w = RecordWriter(kind: .open, syscall: .openat, timestampBootNs: 20, pid: pid, ppid: 1, uid: 0, comm: comm)
        w.put(Int64(3), at: WireLayout.Open.res)
        w.put(UInt32(2), at: WireLayout.Open.flags)
        w.put(Int32(-100), at: WireLayout.Open.dirfd)
        w.string(path, at: WireLayout.Open.path)
        w.string(path, at: WireLayout.Open.raw)
        w.string("", at: WireLayout.Open.base)
        return w.bytes()
    }

    static func exit(pid: UInt32, comm: String) -> [UInt8] {
        RecordWriter(kind: .exit, syscall: .none, timestampBootNs: 30, pid: pid, ppid: 1, uid: 0, comm: comm).bytes()
    }

    static func metadata(_ id: String, image: String) -> ContainerMetadata {
        let ref = ImageReference(parsing: image)
        return ContainerMetadata(fullID: id, name: "c", type: "containerd", image: image, imageRepository: ref.repository,
                                 imageTag: ref.tag, podName: "pod-\(id.prefix(2))", podNamespace: "ml", podLabels: ["app": "x"])
    }

    /// `AlertPipeline` in miniature.
    final class Harness {
        let engine: Engine
        let inbox = ContainerInbox()
        var requested: [String] = []
        var tracker: ContainerTracker!
        var table = ProcessTable()
        var decoder = RecordDecoder()
        var alerts: [Alert] = []
        var n: UInt64 = 0

        init(timeoutNs: UInt64 = 500_000_000, perContainerLimit: Int = 256) throws {
            let result = RuleLoader().loadWithDefaults([])
            try #require(!result.hasErrors)
            engine = Engine(rules: result.ruleSet, context: EngineContext(hostname: "node", bootToEpochNs: 0))
            var options = ContainerTracker.Options()
            options.timeoutNs = timeoutNs
            options.perContainerLimit = perContainerLimit
            let needing = Set(engine.rules.rules.filter { $0.isEnabled && Engine.needsContainerMetadata($0) }.map(\.name))
            tracker = ContainerTracker(options: options, inbox: inbox, holdTypes: engine.eventTypesNeedingContainerMetadata,
                                       rulesNeedingMetadata: needing) { [unowned self] in self.requested.append($0) }
        }

        func feed(_ record: [UInt8]) {
            n += 1
            record.withUnsafeBytes { bytes in
                guard let event = decoder.decode(bytes) else { Issue.record("rejected"); return }
                if event.kind != .exit { table.apply(event) }
                if tracker.observe(event, bytes: bytes, number: n, table: table) {
                    if event.kind == .exit { table.apply(event) }
                    return
                }
                match(event, processes: table)
                if event.kind == .exit { table.apply(event) }
            }
        }

        func match(_ event: EventView, processes: ProcessTable) {
            let handle = processes.entry(event.pid)?.container
            engine.process(event, number: n, processes: processes) { alert in
                var alert = alert
                tracker.markAlert(&alert, container: handle)
                alerts.append(alert)
            }
        }

        func tick(nowNs: UInt64 = ContainerTracker.monotonicNs()) {
            var released: [ContainerTracker.HeldEvent] = []
            tracker.poll(nowNs: nowNs) { released.append($0) }
            var d = RecordDecoder()
            for h in released {
                h.bytes.withUnsafeBytes { bytes in
                    guard let event = d.decode(bytes) else { return }
                    match(event, processes: h.processes)
                }
            }
        }

        func alerts(_ rule: String) -> [Alert] { alerts.filter { $0.rule == rule } }
    }

    static let gpuRule = "GPU Device Opened by Unapproved Image"

    @Test func conditionOnTheImageWaitsForTheImage() throws {
        let h = try Harness()
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idA)))
        #expect(h.requested == [Self.idA])
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia0"))
        // Held: nothing decided on <NA> yet.
        #expect(h.alerts.isEmpty)
        #expect(h.tracker.counters.eventsHeldNow >= 1)
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "docker.io/library/busybox:1.36")))
        h.tick()
        let gpu = h.alerts(Self.gpuRule)
        #expect(gpu.count == 1)
        #expect(gpu.first?.output.contains("image=docker.io/library/busybox") == true)
        #expect(gpu.first?.output.contains("pod=pod-a1 ns=ml") == true)
        #expect(gpu.first?.tags.contains(ContainerTracker.unavailableTag) == false)
        #expect(h.tracker.pendingCount == 0)
        // Cached now: the next event matches at once.
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidiactl"))
        #expect(h.alerts(Self.gpuRule).count == 2)
    }

    @Test func approvedImageDoesNotAlertOnceKnown() throws {
        let h = try Harness()
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idA)))
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia0"))
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "nvcr.io/nvidia/k8s-device-plugin:v0.15.0")))
        h.tick()
        #expect(h.alerts(Self.gpuRule).isEmpty)
    }

    @Test func deadlineReleasesWithNAAndTheMarker() throws {
        let h = try Harness(timeoutNs: 200_000_000)
        let start = ContainerTracker.monotonicNs()
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idA)))
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia0"))
        h.tick(nowNs: start + 100_000_000)  // not yet
        #expect(h.alerts.isEmpty)
        h.tick(nowNs: ContainerTracker.monotonicNs() + 300_000_000)
        let gpu = h.alerts(Self.gpuRule)
        #expect(gpu.count == 1)
        #expect(gpu.first?.output.contains("image=<NA>") == true)
        #expect(gpu.first?.tags.contains(ContainerTracker.unavailableTag) == true)
        #expect(gpu.first?.output.hasSuffix("(container metadata unavailable)") == true)
        #expect(h.tracker.counters.metadataUnavailable == 1)
        #expect(h.tracker.counters.alertsWithoutMetadata == 1)
        // Metadata arriving late still serves later events.
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "docker.io/library/busybox:1.36")))
        h.tick()
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia1"))
        #expect(h.alerts(Self.gpuRule).last?.output.contains("image=docker.io/library/busybox") == true)
    }

    /// A runtime starting a hundred pods can take longer than the timeout between a container's
    /// first sight (`runc init` in its cgroup) and its process's first open: that open still
    /// gets its full wait, and events held earlier go out on their own deadlines.
    @Test func eachHeldEventWaitsItsOwnTimeout() throws {
        let h = try Harness(timeoutNs: 200_000_000)
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idA)))
        #expect(h.tracker.counters.eventsHeldNow == 1)
        usleep(300_000)  // past the exec's deadline
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia0"))
        #expect(h.tracker.counters.eventsHeldNow == 2)
        h.tick()
        // The exec went out on its own deadline; the open still waits.
        #expect(h.tracker.counters.eventsHeldNow == 1)
        #expect(h.alerts(Self.gpuRule).isEmpty)
        #expect(h.tracker.pendingCount == 1)
        #expect(h.tracker.counters.metadataUnavailable == 1)
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "docker.io/library/busybox:1.36")))
        h.tick()
        let gpu = h.alerts(Self.gpuRule)
        #expect(gpu.count == 1)
        #expect(gpu.first?.output.contains("image=docker.io/library/busybox") == true)
        #expect(gpu.first?.tags.contains(ContainerTracker.unavailableTag) == false)
        #expect(h.tracker.counters.metadataUnavailable == 1)
    }

    @Test func failedLookupReleasesAtOnce() throws {
        let h = try Harness()
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idA)))
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia0"))
        h.inbox.post(.failed(Self.idA))
        h.tick()
        #expect(h.alerts(Self.gpuRule).first?.tags.contains(ContainerTracker.unavailableTag) == true)
    }

    @Test func heldEventSeesTheProcessAsItWas() throws {
        let h = try Harness()
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat", "x"], cgroup: Self.cgroup(Self.idA)))
        h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia0"))
        h.feed(Self.exit(pid: 100, comm: "cat"))
        #expect(h.table[100] == nil)
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "docker.io/library/busybox:1.36")))
        h.tick()
        #expect(h.alerts(Self.gpuRule).first?.output.contains("command=cat x") == true)
    }

    @Test func boundedPerContainerThenEvaluatedAtOnce() throws {
        let h = try Harness(perContainerLimit: 2)
        h.feed(Self.exec(pid: 100, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idA)))
        for i in 0..<4 { h.feed(Self.open(pid: 100, comm: "cat", path: "/dev/nvidia\(i)")) }
        // The exec and the first open wait (the exec has rules that show the image too).
        #expect(h.tracker.counters.eventsHeldNow == 2)
        #expect(h.tracker.counters.heldOverflow == 3)
        #expect(h.alerts(Self.gpuRule).count == 3)
        #expect(h.alerts(Self.gpuRule).allSatisfy { $0.tags.contains(ContainerTracker.unavailableTag) })
    }

    @Test func containersDoNotShareMetadata() throws {
        let h = try Harness()
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "nvcr.io/nvidia/k8s-device-plugin:v1")))
        h.inbox.post(.metadata(Self.metadata(Self.idB, image: "docker.io/evil/miner:1")))
        h.tick()
        // B makes a child cgroup named after A: still B.
        h.feed(Self.exec(pid: 200, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: Self.cgroup(Self.idB) + "/cri-containerd-\(Self.idA).scope"))
        h.feed(Self.open(pid: 200, comm: "cat", path: "/dev/nvidia0"))
        #expect(h.requested.isEmpty)
        #expect(h.alerts(Self.gpuRule).first?.output.contains("image=docker.io/evil/miner") == true)
    }

    @Test func hostProcessesAreNotTracked() throws {
        let h = try Harness()
        h.feed(Self.exec(pid: 300, comm: "cat", exe: "/bin/cat", args: ["cat"], cgroup: "/user.slice/session-1.scope"))
        h.feed(Self.open(pid: 300, comm: "cat", path: "/dev/nvidia0"))
        #expect(h.requested.isEmpty)
        #expect(h.tracker.counters.eventsHeld == 0)
    }

    @Test func removedContainersAreForgotten() throws {
        let h = try Harness()
        h.inbox.post(.metadata(Self.metadata(Self.idA, image: "x:1")))
        h.tick()
        #expect(h.tracker.counters.containersTracked == 1)
        h.inbox.post(.removed(Self.idA))
        h.tick()
        #expect(h.tracker.counters.containersTracked == 0)
    }
}
