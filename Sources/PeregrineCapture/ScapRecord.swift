/// One translated event: sysdig's `evt.num` for the scap event it came from, and the record
/// in Peregrine's kernel wire layout (read it with `RecordDecoder`).
public struct ScapRecord: Sendable, Equatable {
    public var number: UInt64
    public var record: [UInt8]

    public init(number: UInt64, record: [UInt8]) {
        self.number = number
        self.record = record
    }
}
