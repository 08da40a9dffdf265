/// Parameter counts of the events Peregrine translates, as the newest event table has them:
/// the upper bound when a v1 event block (no count in the header) must be split into
/// parameters. Older drivers wrote fewer; the reader finds the count that fits.
enum ScapEventParams {
    static let maxCount: [UInt16: Int] = [
        2: 3, 3: 6,                    // open
        4: 1, 5: 1,                    // close
        12: 0, 13: 8,                  // execve (v8)
        14: 0, 15: 11,                 // clone (v11)
        16: 0,                         // procexit
        58: 2, 59: 6,                  // creat
        94: 0, 95: 2, 96: 1, 97: 1,    // chdir, fchdir
        102: 4, 103: 1,                // openat (old)
        154: 0, 155: 13, 156: 0, 157: 16,
        172: 0, 173: 14,
        182: 0, 183: 16, 184: 0, 185: 16,
        186: 5,                        // procexit_1
        214: 0, 215: 15, 216: 0, 217: 17, 218: 0, 219: 17, 220: 0, 221: 17,
        222: 0, 223: 21, 224: 0, 225: 21, 226: 0, 227: 21,
        230: 0, 231: 16,
        256: 1, 257: 4, 258: 1, 259: 2, // mount, umount
        282: 0, 283: 17, 288: 0, 289: 18, 292: 1, 293: 30,
        306: 4, 307: 7,                // openat (v2)
        326: 5, 327: 8,                // openat2
        330: 3, 331: 30,               // execveat
        334: 0, 335: 21,               // clone3
        386: 1, 387: 2, 390: 1, 391: 2, // umount_1, umount2
    ]

    /// `maxCount` as a flat table by event type (-1: not translated), for the per-event path.
    static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: Int(maxCount.keys.max()!) + 1)
        for (type, n) in maxCount { t[Int(type)] = Int8(n) }
        return t
    }()

    /// The parameter count bound of a translated event type, nil for types we skip.
    @inline(__always)
    static func maximum(_ type: UInt16) -> Int? {
        let i = Int(type)
        guard i < table.count else { return nil }
        let n = table[i]
        return n < 0 ? nil : Int(n)
    }
}
