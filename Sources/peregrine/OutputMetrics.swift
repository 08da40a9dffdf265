import PeregrineOutputs
import PeregrineService
import Prometheus

/// Output, reload and event-drop numbers for /metrics, published from the consumer loop
/// alongside `AgentMetrics` (running totals become Prometheus counters by their deltas).
final class OutputMetrics {
    let server: MonitoringServer
    private var published: [String: UInt64] = [:]
    private let reloadSuccessful: Gauge

    init(server: MonitoringServer) {
        self.server = server
        reloadSuccessful = server.registry.makeGauge(
            name: "peregrine_config_last_reload_successful",
            help: "1 if the last SIGHUP reload of configuration and rules took effect (1 before any), 0 if it was refused")
        reloadSuccessful.set(to: 1)
    }

    private func count(_ name: String, _ labels: [(String, String)], total: UInt64) {
        let key = name + labels.map { "|" + $0.1 }.joined()
        let previous = published[key] ?? 0
        // Outputs rebuilt by a reload count from zero again.
        let delta = total - (total < previous ? 0 : previous)
        published[key] = total
        guard delta > 0 else { return }
        server.registry.makeCounter(name: name, labels: labels).increment(by: Int64(delta))
    }

    func publish(outputs: [OutputHub.Counters], reloads: RuleReloader.Counts, dropAlerts: UInt64, capture: CaptureOutput.Counters?) {
        if let capture {
            count("peregrine_capture_records_written", [], total: capture.written)
            count("peregrine_capture_records_dropped", [], total: capture.dropped)
            count("peregrine_capture_bytes_written", [], total: capture.bytesWritten)
            count("peregrine_capture_files_rotated", [], total: capture.rotations)
            server.registry.makeGauge(name: "peregrine_capture_failed").set(to: capture.failure == nil ? 0 : 1)
        }
        for c in outputs {
            let l = [("output", c.output)]
            count("peregrine_output_alerts_sent", l, total: c.sent)
            count("peregrine_output_queue_drops", l, total: c.dropped)
            count("peregrine_output_delivery_failures", l, total: c.failures)
            count("peregrine_output_alerts_given_up", l, total: c.givenUp)
            server.registry.makeGauge(name: "peregrine_output_queue_length", labels: l).set(to: Double(c.queued))
        }
        count("peregrine_config_reloads", [("result", "success")], total: reloads.succeeded)
        count("peregrine_config_reloads", [("result", "failure")], total: reloads.failed)
        if reloads.succeeded + reloads.failed > 0 { reloadSuccessful.set(to: reloads.lastSucceeded ? 1 : 0) }
        count("peregrine_event_drop_alerts", [], total: dropAlerts)
    }
}
