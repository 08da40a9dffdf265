#if canImport(Glibc)
import Glibc
#endif
import PeregrineEngine
import PeregrineEvents
import PeregrineRules

/// `engine-bench containers N FIELD`: N opens by one container process whose entry carries a
/// resolved `ContainerHandle`, matched against a single rule that compares FIELD with a value
/// no event has. Comparing FIELD = container.image.repository (metadata through the handle)
/// with container.id (the kernel's cgroup path) gives the cost of a cached metadata read;
/// callgrind over two values of N gives instructions per event without the set-up.
func containerBench(_ args: [String]) {
    let n = args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000
    let field = args.count > 3 ? args[3] : "container.image.repository"
    let yaml = """
    - rule: bench
      desc: one comparison per open
      condition: evt.type = openat and \(field) = "nothing-matches-this"
      output: "x %\(field)"
      priority: INFO
    """
    let result = RuleLoader().load([RuleSource(name: "bench.yaml", text: yaml)])
    if result.hasErrors { fail("\(result.errors)") }
    let engine = Engine(rules: result.ruleSet, context: EngineContext(hostname: "bench", bootToEpochNs: 0))
    let id = String(repeating: "c0ffee00", count: 8)
    let cgroup = "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-\(id).scope"
    var table = ProcessTable()
    table.insert(ProcessInfo(pid: 100, ppid: 1, name: "python3", exePath: "/usr/bin/python3", args: ["python3"],
                             cgroup: cgroup, containerID: String(id.prefix(12))))
    table.entry(100)?.container = ContainerHandle(fullID: id, state: .known, metadata: ContainerMetadata(
        fullID: id, name: "trainer", type: "containerd", image: "nvcr.io/nvidia/pytorch:24.01-py3",
        imageRepository: "nvcr.io/nvidia/pytorch", imageTag: "24.01-py3", podName: "train-0", podNamespace: "ml"))
    var w = RecordWriter(kind: .open, syscall: .openat, timestampBootNs: 20, pid: 100, ppid: 1, uid: 0, comm: "python3")
    w.put(Int64(3), at: WireLayout.Open.res)
    w.put(UInt32(0), at: WireLayout.Open.flags)
    w.put(Int32(-100), at: WireLayout.Open.dirfd)
    w.string("/models/model.safetensors", at: WireLayout.Open.path)
    w.string("/models/model.safetensors", at: WireLayout.Open.raw)
    w.string("", at: WireLayout.Open.base)
    let record = w.bytes()
    var decoder = RecordDecoder()
    var alerts = 0
    let start = nowNs()
    record.withUnsafeBytes { bytes in
        guard let event = decoder.decode(bytes) else { fail("record rejected") }
        for i in 0..<n {
            engine.process(event, number: UInt64(i), processes: table) { _ in alerts += 1 }
        }
    }
    let ns = Double(nowNs() - start) / Double(max(n, 1))
    print("containers: \(field): \(n) events, \(String(format: "%.1f", ns)) ns/event, \(alerts) alerts")
}
