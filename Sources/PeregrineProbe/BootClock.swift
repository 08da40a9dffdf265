#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Converts the probe's boot-clock timestamps into wall-clock time.
public enum BootClock {
    /// Nanoseconds to add to CLOCK_BOOTTIME to get nanoseconds since the epoch, sampled now.
    public static func bootToEpochOffsetNs() -> Int64 {
        var real = timespec()
        var boot = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_BOOTTIME, &boot)
        return (Int64(real.tv_sec) - Int64(boot.tv_sec)) * 1_000_000_000 + (Int64(real.tv_nsec) - Int64(boot.tv_nsec))
    }
}
