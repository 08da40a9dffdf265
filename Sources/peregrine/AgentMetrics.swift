#if canImport(Glibc)
import Glibc
#endif
import PeregrineEngine
import PeregrineProbe
import PeregrineService
import Prometheus

/// Publishes the agent's numbers into the monitoring server's registry, at most once a
/// second from the consumer loop (the matcher itself never touches a metric).
final class AgentMetrics {
    let server: MonitoringServer
    private var lastPublish: UInt64 = 0
    private var published: [String: UInt64] = [:]
    private var publishedMatches: [UInt64] = []
    private let kernelLost: Gauge
    private let kernelAttempted: Gauge
    private let malformed: Gauge
    private let tableSize: Gauge
    private let tableOverflows: Gauge
    private let residentBytes: Gauge
    private let cpuSeconds: Gauge

    init(server: MonitoringServer) {
        self.server = server
        let r = server.registry
        kernelLost = r.makeGauge(name: "peregrine_kernel_lost_records", help: "Records the probe could not deliver (ring buffer full), since start")
        kernelAttempted = r.makeGauge(name: "peregrine_kernel_records", help: "Records the probe tried to deliver, since start")
        malformed = r.makeGauge(name: "peregrine_userspace_dropped_records", help: "Records dropped in user space as malformed, since start")
        tableSize = r.makeGauge(name: "peregrine_process_table_size", help: "Processes in the process table")
        tableOverflows = r.makeGauge(name: "peregrine_process_table_overflows", help: "Processes not remembered because the table was full")
        residentBytes = r.makeGauge(name: "peregrine_resident_memory_bytes", help: "Resident memory of the agent")
        cpuSeconds = r.makeGauge(name: "peregrine_cpu_seconds", help: "CPU time used by the agent (user + system)")
    }

    /// Rules were reloaded: the new engine counts from zero (publish the old one first).
    func engineReplaced() {
        published = [:]
        publishedMatches = []
    }

    func publish(probe: Probe, pipeline: AlertPipeline, force: Bool = false) {
        let now = Deadline.nowNs()
        guard force || now - lastPublish >= 1_000_000_000 else { return }
        lastPublish = now
        let r = server.registry
        for (type, count) in pipeline.engine.eventsByType {
            let delta = count - (published[type] ?? 0)
            if delta > 0 {
                r.makeCounter(name: "peregrine_events", labels: [("evt_type", type)]).increment(by: Int64(delta))
                published[type] = count
            }
        }
        let rules = pipeline.engine.rules.rules
        let matches = pipeline.engine.matchesByRule
        if publishedMatches.count != matches.count { publishedMatches = Array(repeating: 0, count: matches.count) }
        for (i, count) in matches.enumerated() where count > publishedMatches[i] {
            r.makeCounter(name: "peregrine_rule_matches", labels: [("rule", rules[i].name), ("priority", rules[i].priority.name)])
                .increment(by: Int64(count - publishedMatches[i]))
            publishedMatches[i] = count
        }
        if let containers = pipeline.containers { publishContainers(containers) }
        let stats = probe.stats()
        kernelLost.set(to: Double(stats.lost))
        kernelAttempted.set(to: Double(stats.attempted))
        malformed.set(to: Double(pipeline.decoder.totalRejected))
        tableSize.set(to: Double(pipeline.table.count))
        tableOverflows.set(to: Double(pipeline.table.overflows))
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        cpuSeconds.set(to: Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6)
        if let statm = ProcScanner.readText("/proc/self/statm"), let pages = statm.split(separator: " ").dropFirst().first, let n = Double(pages) {
            residentBytes.set(to: n * Double(sysconf(Int32(_SC_PAGESIZE))))
        }
    }
}
