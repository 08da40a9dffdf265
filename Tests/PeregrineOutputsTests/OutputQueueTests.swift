#if canImport(Glibc)
import Glibc
#endif
import PeregrineOutputs
import PeregrineRules
import Testing

@Suite struct BoundedQueueTests {
    @Test func keepsOrderAndDropsBeyondCapacity() {
        let q = BoundedQueue<Int>(capacity: 3)
        #expect(q.push(1) && q.push(2) && q.push(3))
        #expect(!q.push(4))
        #expect(!q.push(5))
        #expect(q.dropped == 2)
        #expect(q.count == 3)
        #expect(q.peek(waitingUpTo: 0) == 1)
        // Peeking does not free the slot: the bound includes the alert being delivered.
        #expect(!q.push(6))
        q.removeFirst()
        #expect(q.push(7))
        var seen: [Int] = []
        while let x = q.peek(waitingUpTo: 0) { seen.append(x); q.removeFirst() }
        #expect(seen == [2, 3, 7])
        #expect(q.dropped == 3)
    }

    @Test func wrapsAroundManyTimes() {
        let q = BoundedQueue<Int>(capacity: 4)
        for i in 0..<1000 {
            #expect(q.push(i))
            #expect(q.peek(waitingUpTo: 0) == i)
            q.removeFirst()
        }
        #expect(q.count == 0 && q.dropped == 0)
    }

    @Test func closeWakesAWaitingPeekAndRefusesPushes() {
        let q = BoundedQueue<Int>(capacity: 2)
        #expect(q.push(1))
        #expect(q.close() == 1)
        #expect(q.peek(waitingUpTo: 1_000_000_000) == nil)
        #expect(!q.push(2))
        #expect(!q.sleep(nanoseconds: 1_000_000_000))
    }

    @Test func peekTimesOutWhenEmpty() {
        let q = BoundedQueue<Int>(capacity: 2)
        let start = OutputTestClock.now()
        #expect(q.peek(waitingUpTo: 50_000_000) == nil)
        let waited = OutputTestClock.now() - start
        #expect(waited >= 40_000_000 && waited < 1_000_000_000)
    }
}

@Suite struct EventDropMonitorTests {
    @Test func bucketAllowsABurstThenRefillsAtTheRate() {
        var b = TokenBucket(rate: 1, maxBurst: 2)
        // Never more than the burst, however long it was idle (the last three).
        let times: [UInt64] = [0, 0, 500_000_000, 1_000_000_000, 1_100_000_000, 100_000_000_000, 100_000_000_000, 100_000_000_000]
        let granted = times.map { b.claim(nowNs: $0) }
        #expect(granted == [true, true, false, true, false, true, true, false])
    }

    @Test func reportsDropsAboveTheThresholdThrottled() {
        var s = EventDropSettings()
        s.threshold = 0.1
        s.rate = 1
        s.maxBurst = 1
        var m = EventDropMonitor(settings: s)
        let quiet = m.check(nowNs: 1_000_000_000, attempted: 1000, kernelLost: 0, userDropped: 0)
        #expect(quiet == nil)
        // 5% lost: under the threshold.
        let under = m.check(nowNs: 2_000_000_000, attempted: 2000, kernelLost: 50, userDropped: 0)
        #expect(under == nil)
        // 30% lost (kernel 250 + user 50 of 1000).
        let r = m.check(nowNs: 3_000_000_000, attempted: 3000, kernelLost: 300, userDropped: 50)
        #expect(r == EventDropMonitor.Report(events: 1000, drops: 300, kernelDrops: 250, userDrops: 50, log: true, alert: true))
        // Half a second later: throttled away (one token per second, just spent).
        let throttled = m.check(nowNs: 3_500_000_000, attempted: 4000, kernelLost: 600, userDropped: 50)
        #expect(throttled == nil)
        #expect(m.suppressed == 1)
        let later = m.check(nowNs: 4_600_000_000, attempted: 5000, kernelLost: 900, userDropped: 50)
        #expect(later?.drops == 300)
    }

    @Test func reconfiguringKeepsTheRunningTotals() {
        var s = EventDropSettings()
        s.threshold = 0
        var m = EventDropMonitor(settings: s)
        let first = m.check(nowNs: 1_000_000_000, attempted: 1000, kernelLost: 500, userDropped: 0)
        #expect(first?.drops == 500)
        s.rate = 10
        m.reconfigure(s)
        // Only what was lost since the last check counts, not everything since start.
        let next = m.check(nowNs: 2_000_000_000, attempted: 2000, kernelLost: 510, userDropped: 0)
        #expect(next?.drops == 10)
    }

    @Test func ignoreMeansNothing() {
        var s = EventDropSettings()
        s.actions = []
        var m = EventDropMonitor(settings: s)
        let r = m.check(nowNs: 1, attempted: 10, kernelLost: 10, userDropped: 0)
        #expect(r == nil)
    }

    @Test func alertHasFalcosShape() {
        let r = EventDropMonitor.Report(events: 1181, drops: 1, kernelDrops: 1, userDrops: 0, log: false, alert: true)
        let a = EventDropMonitor.alert(r, timeNs: 1_700_000_000_000_000_123, hostname: "node-1")
        #expect(a.jsonLine == #"{"hostname":"node-1","output":"Falco internal: syscall event drop. 1 system calls dropped in last second. (n_drops=1 n_evts=1181)","output_fields":{"n_drops":1,"n_drops_buffer":1,"n_drops_userspace":0,"n_evts":1181},"priority":"Critical","rule":"Falco internal: syscall event drop","source":"internal","tags":[],"time":"2023-11-14T22:13:20.000000123Z"}"#)
    }
}

enum OutputTestClock {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Polls `condition` every 10 ms for up to `seconds`.
    static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let end = now() + UInt64(seconds * 1e9)
        while now() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}

func sampleAlert(_ n: Int) -> Alert {
    Alert(time: 1_700_000_000_000_000_000 + UInt64(n), rule: "Test Rule", priority: .warning, source: "syscall",
          hostname: "h", output: "alert number \(n)", outputFields: [("n", .int(Int64(n)))], tags: ["t"])
}
