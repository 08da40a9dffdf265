#if canImport(Glibc)
import Glibc
#endif

/// A fixed-capacity FIFO between the matcher (one producer that must never wait) and one
/// output worker. `push` takes a short mutex, never blocks on a full queue: it drops and
/// counts. The worker `peek`s the head, delivers it, and only then `removeFirst`s it, so an
/// alert being retried still occupies its slot and the bound is exact.
public final class BoundedQueue<Element>: @unchecked Sendable {
    public let capacity: Int
    private var slots: [Element?]
    private var head = 0
    private var stored = 0
    private var closed = false
    private var droppedCount: UInt64 = 0
    // pthread objects must not move, and `&property` on a class hands C a pointer that is only
    // guaranteed for the call, under an exclusive access that Swift checks per thread (which
    // an optimised caller may hold across a whole `peek`: a false "simultaneous access" trap).
    // So they live in memory of their own.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let nonEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        slots = Array(repeating: nil, count: capacity)
        mutex.initialize(to: pthread_mutex_t())
        nonEmpty.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(nonEmpty, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(nonEmpty)
        pthread_mutex_destroy(mutex)
        nonEmpty.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Appends without waiting; false (and one more drop counted) when full or closed.
    @discardableResult
    public func push(_ element: Element) -> Bool {
        locked {
            guard !closed, stored < capacity else {
                droppedCount &+= 1
                return false
            }
            slots[(head + stored) % capacity] = element
            stored += 1
            if stored == 1 { pthread_cond_signal(nonEmpty) }
            return true
        }
    }

    /// The oldest element, waiting up to `timeoutNs` for one; nil on timeout or once closed.
    public func peek(waitingUpTo timeoutNs: UInt64) -> Element? {
        locked {
            if stored == 0 && !closed && timeoutNs > 0 {
                var deadline = Self.monotonicNow(plus: timeoutNs)
                while stored == 0 && !closed {
                    if pthread_cond_timedwait(nonEmpty, mutex, &deadline) == ETIMEDOUT { break }
                }
            }
            return closed || stored == 0 ? nil : slots[head]
        }
    }

    /// Removes the oldest element (the one `peek` returned).
    public func removeFirst() {
        locked {
            guard stored > 0 else { return }
            slots[head] = nil
            head = (head + 1) % capacity
            stored -= 1
        }
    }

    /// Waits up to `timeoutNs` unless the queue is closed first (an interruptible sleep for
    /// retry back-off). Returns false once closed.
    public func sleep(nanoseconds timeoutNs: UInt64) -> Bool {
        locked {
            var deadline = Self.monotonicNow(plus: timeoutNs)
            while !closed {
                if pthread_cond_timedwait(nonEmpty, mutex, &deadline) == ETIMEDOUT { break }
            }
            return !closed
        }
    }

    /// Refuses further pushes and wakes the worker; what is still queued is returned as a count.
    @discardableResult
    public func close() -> Int {
        locked {
            closed = true
            pthread_cond_broadcast(nonEmpty)
            return stored
        }
    }

    public var count: Int { locked { stored } }
    public var dropped: UInt64 { locked { droppedCount } }
    public var isClosed: Bool { locked { closed } }

    static func monotonicNow(plus ns: UInt64) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = UInt64(now.tv_nsec) + ns % 1_000_000_000
        return timespec(tv_sec: now.tv_sec + Int(ns / 1_000_000_000) + Int(total / 1_000_000_000),
                        tv_nsec: Int(total % 1_000_000_000))
    }
}
