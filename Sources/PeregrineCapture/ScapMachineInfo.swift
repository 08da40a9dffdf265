/// The machine info block (`scap_machine_info`), as far as it is present.
public struct ScapMachineInfo: Sendable, Equatable {
    public var cpuCount: UInt32
    public var memoryBytes: UInt64
    public var maxPid: UInt64
    public var hostname: String
}
