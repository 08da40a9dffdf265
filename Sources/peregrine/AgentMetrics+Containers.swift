import PeregrineContainers
import Prometheus

extension AgentMetrics {
    /// Container metadata numbers (the registry hands back the same gauge for a name).
    func publishContainers(_ c: ContainerTracker) {
        let r = server.registry
        let n = c.counters
        let values: [(String, String, Double)] = [
            ("peregrine_cri_lookup_failures", "Failed CRI calls and connection attempts, since start", Double(c.failures)),
            ("peregrine_cri_connected", "1 while a CRI runtime socket is connected", c.runtimeConnected ? 1 : 0),
            ("peregrine_containers_tracked", "Containers with a metadata handle", Double(n.containersTracked)),
            ("peregrine_container_lookups", "Container metadata lookups started, since start", Double(n.lookupsStarted)),
            ("peregrine_container_metadata_unavailable", "Containers whose metadata did not arrive in time or failed, since start", Double(n.metadataUnavailable)),
            ("peregrine_alerts_without_container_metadata", "Alerts sent with <NA> for container metadata they needed, since start", Double(n.alertsWithoutMetadata)),
            ("peregrine_container_events_held", "Events held for container metadata, since start", Double(n.eventsHeld)),
            ("peregrine_container_events_held_overflow", "Events evaluated without waiting because the hold bound was reached, since start", Double(n.heldOverflow)),
        ]
        for (name, help, value) in values { r.makeGauge(name: name, help: help).set(to: value) }
    }
}
