/// Block types of the `.scap` format (falcosecurity/libs `scap_savefile.h`). A block is
/// `type u32, total length u32, body, total length u32`; the total counts all of it.
public enum ScapBlockType {
    public static let sectionHeader: UInt32 = 0x0A0D_0D0A
    public static let machineInfo: Set<UInt32> = [0x201, 0x8002_ABCD]
    /// Process list, versions 1 to 9 (and the pre-release numbers of 1 to 3).
    public static let processList: [UInt32: Int] = [
        0x202: 1, 0x8000_ABCD: 1, 0x207: 2, 0x8013_ABCD: 2, 0x209: 3, 0x8014_ABCD: 3,
        0x210: 4, 0x211: 5, 0x212: 6, 0x213: 7, 0x214: 8, 0x215: 9,
    ]
    public static let fdList: Set<UInt32> = [0x203, 0x8001_ABCD]
    public static let fdListV2: UInt32 = 0x218
    public static let interfaceList: Set<UInt32> = [0x205, 0x8011_ABCD, 0x219]
    public static let userList: Set<UInt32> = [0x206, 0x8012_ABCD]
    public static let userListV2: UInt32 = 0x220

    /// Event blocks: `cpu u16, [flags u32], event`.
    public struct EventBlock: Sendable {
        /// The event header carries `nparams u32` (v2); v1 headers do not.
        public let hasParamCount: Bool
        /// `EVF`: a u32 of flags follows the cpu id.
        public let hasFlags: Bool
        /// Parameter lengths are u32 ("large payload") instead of u16.
        public let largeLengths: Bool
    }

    /// The layout of an event block type, nil for other blocks. A switch, not a dictionary:
    /// it runs once per event.
    @inline(__always)
    public static func eventBlock(_ type: UInt32) -> EventBlock? {
        switch type {
        case 0x204, 0x8010_ABCD: return EventBlock(hasParamCount: false, hasFlags: false, largeLengths: false)
        case 0x216: return EventBlock(hasParamCount: true, hasFlags: false, largeLengths: false)
        case 0x221: return EventBlock(hasParamCount: true, hasFlags: false, largeLengths: true)
        case 0x208: return EventBlock(hasParamCount: false, hasFlags: true, largeLengths: false)
        case 0x217: return EventBlock(hasParamCount: true, hasFlags: true, largeLengths: false)
        case 0x222: return EventBlock(hasParamCount: true, hasFlags: true, largeLengths: true)
        default: return nil
        }
    }
}
