import PeregrineRules

/// Falco's `syscall_event_drops`: what to do when the probe or user space loses events.
public struct EventDropSettings: Equatable, Sendable {
    public enum Action: String, Sendable, Hashable { case ignore, log, alert }
    /// Empty means ignore.
    public var actions: Set<Action> = [.log, .alert]
    /// Actions per second the token bucket allows on average (Falco: one per 30 s).
    public var rate = 0.03333
    /// Actions allowed in a burst.
    public var maxBurst = 1
    /// Act only when the share of events lost in the last interval exceeds this.
    public var threshold = 0.1
    public init() {}
}

/// Tokens refill at `rate` per second up to `maxBurst`; each action takes one.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let maxBurst: Double
    private var tokens: Double
    private var lastNs: UInt64?

    public init(rate: Double, maxBurst: Int) {
        self.rate = rate
        self.maxBurst = Double(maxBurst)
        tokens = Double(maxBurst)
    }

    public mutating func claim(nowNs: UInt64) -> Bool {
        if let last = lastNs, nowNs > last {
            tokens = min(maxBurst, tokens + Double(nowNs - last) / 1e9 * rate)
        }
        lastNs = nowNs
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// Compares the loss counters once per interval and, throttled by a token bucket, says
/// to log and/or raise Falco's internal alert "Falco internal: syscall event drop".
public struct EventDropMonitor: Sendable {
    public struct Report: Sendable, Equatable {
        public var events: UInt64
        public var drops: UInt64
        public var kernelDrops: UInt64
        public var userDrops: UInt64
        public var log: Bool
        public var alert: Bool
        public init(events: UInt64, drops: UInt64, kernelDrops: UInt64, userDrops: UInt64, log: Bool, alert: Bool) {
            self.events = events
            self.drops = drops
            self.kernelDrops = kernelDrops
            self.userDrops = userDrops
            self.log = log
            self.alert = alert
        }

        public var message: String {
            "Falco internal: syscall event drop. \(drops) system calls dropped in last second."
        }
    }

    public private(set) var settings: EventDropSettings
    private var bucket: TokenBucket
    private var lastEvents: UInt64 = 0
    private var lastKernel: UInt64 = 0
    private var lastUser: UInt64 = 0
    /// Reports throttled away by the token bucket.
    public private(set) var suppressed: UInt64 = 0

    public init(settings: EventDropSettings) {
        self.settings = settings
        bucket = TokenBucket(rate: settings.rate, maxBurst: settings.maxBurst)
    }

    /// New settings (a reload) keep the running totals, so the next interval is not mistaken
    /// for everything lost since start.
    public mutating func reconfigure(_ new: EventDropSettings) {
        guard new != settings else { return }
        settings = new
        bucket = TokenBucket(rate: new.rate, maxBurst: new.maxBurst)
    }

    /// Call about once a second with running totals: records the kernel tried to deliver,
    /// records it lost, and records user space dropped.
    public mutating func check(nowNs: UInt64, attempted: UInt64, kernelLost: UInt64, userDropped: UInt64) -> Report? {
        let events = attempted &- lastEvents, kernel = kernelLost &- lastKernel, user = userDropped &- lastUser
        lastEvents = attempted
        lastKernel = kernelLost
        lastUser = userDropped
        let drops = kernel + user
        guard drops > 0, !settings.actions.isEmpty else { return nil }
        let ratio = events == 0 ? 1 : Double(drops) / Double(events)
        guard ratio > settings.threshold else { return nil }
        guard bucket.claim(nowNs: nowNs) else {
            suppressed += 1
            return nil
        }
        return Report(events: events, drops: drops, kernelDrops: kernel, userDrops: user,
                      log: settings.actions.contains(.log), alert: settings.actions.contains(.alert))
    }

    /// The internal alert, in Falco's shape.
    public static func alert(_ r: Report, timeNs: UInt64, hostname: String) -> Alert {
        Alert(time: timeNs, rule: "Falco internal: syscall event drop", priority: .critical, source: "internal",
              hostname: hostname, output: r.message + " (n_drops=\(r.drops) n_evts=\(r.events))",
              outputFields: [("n_drops", .uint(r.drops)), ("n_evts", .uint(r.events)),
                             ("n_drops_buffer", .uint(r.kernelDrops)), ("n_drops_userspace", .uint(r.userDrops))],
              tags: [])
    }
}
