#if canImport(Glibc)
import Glibc
#endif
import PeregrineEvents
import PeregrineRules

/// The consumer thread's side of container metadata. It gives each container process's
/// table entry a shared `ContainerHandle` (on fork, exec and the start-up seed, so matching
/// never looks anything up), starts a lookup the first time a container is seen, and holds
/// back the events whose alerts would need metadata that is still on its way.
///
/// Semantics of holding:
/// - An event is held when its process's container is pending and some enabled rule for its
///   event type reads container or pod metadata in its condition or its output. Rules are not
///   evaluated on the event until it is released, so a condition such as "GPU opened by an
///   unapproved image" is decided on the real image, not on `<NA>`.
/// - The record's bytes are copied, with the event's process and its ancestors as they were
///   (a small process table), so later forks, execs and exits do not change what the rules see.
/// - Held events are released when the metadata arrives or the lookup fails, or, at the
///   latest, `timeout` after each was held: every event waits its own full timeout, so on a
///   node where a container's first process runs long after its cgroup was first seen (a
///   runtime busy starting a hundred pods), its later events still get the whole wait. An
///   event released without metadata reads `<NA>` and its alerts that need metadata carry the
///   marker (`markAlert`); the container stays pending, so its later events wait again, until
///   the lookup answers or fails (then it is marked unavailable and nothing waits). Alerts come
///   out in order per container, possibly after alerts of other containers.
/// - At most `perContainerLimit` events per container and `totalLimit` in all are held; an
///   event beyond that is evaluated at once without metadata (never dropped) and counted.
public final class ContainerTracker {
    public struct Options: Sendable {
        public var timeoutNs: UInt64 = 500_000_000
        public var perContainerLimit = 256
        public var totalLimit = 8192
        public init() {}
    }

    /// An event waiting for its container's metadata.
    public struct HeldEvent {
        public var bytes: [UInt8]
        public var number: UInt64
        /// When it goes out with or without metadata (monotonic ns).
        public var deadlineNs: UInt64
        /// The event's process and its ancestors, as they were when it happened.
        public var processes: ProcessTable
        public var container: ContainerHandle
    }

    /// Counters since start (read on the consumer thread by the metrics publisher).
    public struct Counters: Sendable {
        public var lookupsStarted: UInt64 = 0
        public var eventsHeld: UInt64 = 0
        public var heldOverflow: UInt64 = 0
        /// Containers whose metadata was not there when a held event's wait ran out, or whose
        /// lookup failed (each container once).
        public var metadataUnavailable: UInt64 = 0
        /// Alerts that went out with `<NA>` for metadata they needed (and the marker).
        public var alertsWithoutMetadata: UInt64 = 0
        public var containersTracked: Int = 0
        public var eventsHeldNow: Int = 0
    }

    public let options: Options
    public private(set) var counters = Counters()
    private let request: (String) -> Void
    private let inbox: ContainerInbox
    private var handles: [String: ContainerHandle] = [:]
    private var held: [String: [HeldEvent]] = [:]
    private var heldTotal = 0
    private var holdAllTypes: Bool
    private var holdTypes: Set<String>
    private var rulesNeedingMetadata: Set<String>
    private var lastSweepNs: UInt64 = 0

    /// - Parameters:
    ///   - holdTypes: event types some rule reads metadata for (`all`: every type).
    ///   - rulesNeedingMetadata: names of the rules whose alerts need metadata (for the marker).
    ///   - request: starts a lookup; must not block (the lookup service's `request`).
    public init(options: Options = Options(), inbox: ContainerInbox, holdTypes: (all: Bool, types: Set<String>),
                rulesNeedingMetadata: Set<String>, request: @escaping (String) -> Void) {
        self.options = options
        self.inbox = inbox
        self.request = request
        holdAllTypes = holdTypes.all
        self.holdTypes = holdTypes.types
        self.rulesNeedingMetadata = rulesNeedingMetadata
    }

    /// New rules (a reload): which events wait and which alerts get the marker from now on.
    /// Events already held are released as before.
    public func reconfigure(holdTypes: (all: Bool, types: Set<String>), rulesNeedingMetadata: Set<String>) {
        holdAllTypes = holdTypes.all
        self.holdTypes = holdTypes.types
        self.rulesNeedingMetadata = rulesNeedingMetadata
    }

    /// Gives a container process's entry its container's handle (no-op for host processes and
    /// entries that have one). The id is the outermost one in the kernel's cgroup path.
    public func attach(_ entry: ProcessTable.Entry?) {
        guard let entry, entry.container == nil, entry.info.containerID != ContainerID.host,
              let id = ContainerID.fullID(fromCgroup: entry.info.cgroup) else { return }
        entry.container = handle(for: id)
    }

    /// Containers whose lookup is under way: while zero, no event needs a second look.
    public private(set) var pendingCount = 0

    public static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The handle for a container id, starting its lookup the first time.
    public func handle(for id: String) -> ContainerHandle {
        if let h = handles[id] { return h }
        let h = ContainerHandle(fullID: id, state: .pending)
        handles[id] = h
        pendingCount += 1
        counters.containersTracked = handles.count
        counters.lookupsStarted &+= 1
        request(id)
        return h
    }

    /// The per-event step, after the event is folded into `table` (exits: before): new entries
    /// (fork, exec) get their container's handle, and while some lookup is pending an event
    /// that needs its metadata is held. True when held: the caller must not match it now.
    /// With nothing pending this is two compares and a branch.
    @inline(__always)
    public func observe(_ event: EventView, bytes: UnsafeRawBufferPointer, number: UInt64, table: ProcessTable) -> Bool {
        if event.kind == .fork { attach(table.entry(event.fork.childPid)) }
        if event.kind == .exec { attach(table.entry(event.pid)) }
        guard pendingCount > 0, let handle = table.entry(event.pid)?.container, mustHold(event, container: handle) else { return false }
        return hold(bytes, number: number, pid: event.pid, table: table, container: handle)
    }

    /// Whether `event` must wait for its container's metadata (see the type's notes).
    public func mustHold(_ event: EventView, container: ContainerHandle?) -> Bool {
        guard let container, container.state == .pending else { return false }
        return holdAllTypes || holdTypes.contains(EventJSON.eventType(event))
    }

    /// Holds a copy of the event; false when the bounds are reached (evaluate it now instead).
    public func hold(_ bytes: UnsafeRawBufferPointer, number: UInt64, pid: UInt32, table: ProcessTable,
                     container: ContainerHandle) -> Bool {
        let queued = held[container.fullID]?.count ?? 0
        guard queued < options.perContainerLimit, heldTotal < options.totalLimit else {
            counters.heldOverflow &+= 1
            return false
        }
        var snapshot = ProcessTable(capacity: 64)
        var pid = pid
        var seen = 0
        while seen < 32, pid != 0, let entry = table.entry(pid) {
            snapshot.insert(entry.info)
            snapshot.entry(pid)?.container = entry.container
            seen += 1
            if entry.info.ppid == pid { break }
            pid = entry.info.ppid
        }
        let deadline = Self.monotonicNs() &+ options.timeoutNs
        held[container.fullID, default: []].append(
            HeldEvent(bytes: Array(bytes), number: number, deadlineNs: deadline, processes: snapshot, container: container))
        heldTotal += 1
        counters.eventsHeld &+= 1
        counters.eventsHeldNow = heldTotal
        return true
    }

    /// Takes the lookups' answers and releases held events whose metadata arrived (or failed)
    /// or whose own deadline passed (in the order they were held). Call on every consumer tick.
    public func poll(nowNs: UInt64, release: (HeldEvent) -> Void) {
        for update in inbox.take() {
            switch update {
            case .metadata(let m):
                let h = handles[m.fullID] ?? {
                    let h = ContainerHandle(fullID: m.fullID, state: .known)
                    handles[m.fullID] = h
                    return h
                }()
                if h.state == .pending { pendingCount -= 1 }
                h.metadata = m
                h.state = .known
            case .failed(let id):
                if let h = handles[id], h.state == .pending { markUnavailable(h) }
            case .removed(let id):
                // Processes still pointing at the handle keep it; new ones start afresh.
                if let h = handles.removeValue(forKey: id), h.state == .pending { markUnavailable(h) }
            }
        }
        counters.containersTracked = handles.count
        guard heldTotal > 0 else { return }
        for (id, events) in held {
            guard let h = events.first?.container else { continue }
            // Held in order, so deadlines ascend: those due are a prefix.
            let due = h.state == .pending ? events.prefix { $0.deadlineNs <= nowNs }.count : events.count
            guard due > 0 else { continue }
            if h.metadata == nil { countUnavailable(h) }
            if due == events.count { held.removeValue(forKey: id) } else { held[id] = Array(events[due...]) }
            heldTotal -= due
            for e in events[..<due] { release(e) }
        }
        counters.eventsHeldNow = heldTotal
    }

    /// Adds the "metadata unavailable" marker to an alert that needed metadata its container
    /// does not have: a tag, an output field, and a note at the end of the output text.
    public func markAlert(_ alert: inout Alert, container: ContainerHandle?) {
        guard let container, container.metadata == nil, rulesNeedingMetadata.contains(alert.rule) else { return }
        counters.alertsWithoutMetadata &+= 1
        alert.tags.append(Self.unavailableTag)
        alert.outputFields.append(("container.metadata", .string("unavailable")))
        alert.output += " (container metadata unavailable)"
    }

    public static let unavailableTag = "container_metadata_unavailable"

    /// Forgets containers no process in `table` belongs to any more (at most once a minute).
    public func sweep(table: ProcessTable, nowNs: UInt64) {
        guard nowNs &- lastSweepNs >= 60_000_000_000 else { return }
        lastSweepNs = nowNs
        var live: Set<ObjectIdentifier> = []
        table.forEachEntry { if let h = $0.container { live.insert(ObjectIdentifier(h)) } }
        handles = handles.filter { live.contains(ObjectIdentifier($0.value)) || held[$0.key] != nil || $0.value.state == .pending }
        counters.containersTracked = handles.count
    }

    private func markUnavailable(_ h: ContainerHandle) {
        if h.state == .pending { pendingCount -= 1 }
        h.state = .unavailable
        countUnavailable(h)
    }

    private func countUnavailable(_ h: ContainerHandle) {
        guard !h.countedUnavailable else { return }
        h.countedUnavailable = true
        counters.metadataUnavailable &+= 1
    }

    public var failures: UInt64 { inbox.failureCount }
    public var runtimeConnected: Bool { inbox.isConnected }
}
