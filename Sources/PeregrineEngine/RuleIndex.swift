/// Picks, per event, the rules that can possibly match, so that a thousand rules of the same
/// shape do not each get evaluated.
///
/// For every rule, a conjunct that must hold for the rule to match (a top-level `and` member,
/// through nested `and`s and shared macros) is looked for: an exact text value or set of
/// values, a text prefix (`startswith`, `pmatch`), an integer or set of integers, on a plain
/// single-valued field. The rule is then filed under that field and value(s); rules without
/// such a conjunct are always candidates. Per event, each indexed field is extracted once
/// (through the matcher's field cache) and looked up; the candidates are then evaluated in
/// full, in rule order. The index only ever adds candidates (hash collisions, prefixes that
/// are not whole path components): it never decides a match.
struct RuleIndex {
    struct TextIndex {
        var slot: Int32
        /// hash(value) → rule indices
        var exact: [Int: [Int]] = [:]
        /// Distinct prefix lengths, and hash(length, prefix) → rule indices.
        var prefixLengths: [Int] = []
        var prefixes: [Int: [Int]] = [:]
        /// The same for suffixes (`endswith`).
        var suffixLengths: [Int] = []
        var suffixes: [Int: [Int]] = [:]
    }

    /// One way a rule can be found: a field slot and a key of some kind.
    enum Key: Hashable {
        case exact(Int32, [UInt8])
        case prefix(Int32, [UInt8])
        case suffix(Int32, [UInt8])
        case int(Int32, Int64)
    }

    struct IntIndex {
        var slot: Int32
        var values: [Int64: [Int]] = [:]
    }

    var always: [Int] = []
    var texts: [TextIndex] = []
    var ints: [IntIndex] = []

    /// The lookup form of a `TextIndex`, built once by `frozen()`.
    struct FrozenText {
        var slot: Int32
        var exact: HashedRuleTable
        var prefixLengths: [Int]
        var prefixes: HashedRuleTable
        var suffixLengths: [Int]
        var suffixes: HashedRuleTable
    }

    private(set) var frozenTexts: [FrozenText] = []

    /// Builds the lookup tables; call once, after every rule was added.
    mutating func freeze() {
        frozenTexts = texts.map {
            FrozenText(slot: $0.slot, exact: HashedRuleTable($0.exact), prefixLengths: $0.prefixLengths.sorted(),
                       prefixes: HashedRuleTable($0.prefixes), suffixLengths: $0.suffixLengths.sorted(),
                       suffixes: HashedRuleTable($0.suffixes))
        }
    }

    var isEmpty: Bool { always.isEmpty && texts.isEmpty && ints.isEmpty }

    /// Keys of prefixes (bytes in order) and suffixes (bytes from the end backwards): FNV-1a
    /// mixed with the length, so a lookup can hash the value once, incrementally.
    static func key(runningHash h: UInt64, length: Int) -> Int {
        Int(truncatingIfNeeded: h) &* 31 &+ length
    }

    static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    static let fnvPrime: UInt64 = 0x100_0000_01B3

    static func prefixKey(_ b: UnsafeRawBufferPointer) -> Int {
        var h = fnvOffset
        for c in b { h = (h ^ UInt64(c)) &* fnvPrime }
        return key(runningHash: h, length: b.count)
    }

    static func suffixKey(_ b: UnsafeRawBufferPointer) -> Int {
        var h = fnvOffset
        for c in b.reversed() { h = (h ^ UInt64(c)) &* fnvPrime }
        return key(runningHash: h, length: b.count)
    }

    mutating func addAlways(_ rule: Int) { always.append(rule) }

    mutating func addText(rule: Int, slot: Int32, exact values: [[UInt8]]) {
        let i = textIndex(slot)
        for v in values {
            let h = v.withUnsafeBytes { ByteSet.hash($0) }
            texts[i].exact[h, default: []].append(rule)
        }
    }

    mutating func addPrefixes(rule: Int, slot: Int32, prefixes: [[UInt8]]) {
        let i = textIndex(slot)
        for p in prefixes {
            if !texts[i].prefixLengths.contains(p.count) { texts[i].prefixLengths.append(p.count) }
            let key = p.withUnsafeBytes { Self.prefixKey($0) }
            texts[i].prefixes[key, default: []].append(rule)
        }
    }

    mutating func add(rule: Int, key: Key) {
        switch key {
        case .exact(let slot, let v): addText(rule: rule, slot: slot, exact: [v])
        case .prefix(let slot, let p): addPrefixes(rule: rule, slot: slot, prefixes: [p])
        case .int(let slot, let v): addInts(rule: rule, slot: slot, values: [v])
        case .suffix(let slot, let p):
            let i = textIndex(slot)
            if !texts[i].suffixLengths.contains(p.count) { texts[i].suffixLengths.append(p.count) }
            let k = p.withUnsafeBytes { Self.suffixKey($0) }
            if !(texts[i].suffixes[k]?.last == rule) { texts[i].suffixes[k, default: []].append(rule) }
        }
    }

    mutating func addInts(rule: Int, slot: Int32, values: [Int64]) {
        let i: Int
        if let existing = ints.firstIndex(where: { $0.slot == slot }) {
            i = existing
        } else {
            ints.append(IntIndex(slot: slot))
            i = ints.count - 1
        }
        for v in values { ints[i].values[v, default: []].append(rule) }
    }

    private mutating func textIndex(_ slot: Int32) -> Int {
        if let i = texts.firstIndex(where: { $0.slot == slot }) { return i }
        texts.append(TextIndex(slot: slot))
        return texts.count - 1
    }
}

/// A read-only map from already-hashed keys to rule lists: open addressing on the key's own
/// bits (keys are FNV-1a hashes), so a lookup is a few loads, with no hashing of its own.
struct HashedRuleTable {
    private var keys: [Int] = []
    private var used: [Bool] = []
    private var ranges: [(start: Int32, count: Int32)] = []
    private var rules: [Int] = []
    private var mask = 0

    var isEmpty: Bool { rules.isEmpty }

    init(_ map: [Int: [Int]] = [:]) {
        var size = 8
        while size < map.count * 2 { size <<= 1 }
        mask = size - 1
        keys = Array(repeating: 0, count: size)
        used = Array(repeating: false, count: size)
        ranges = Array(repeating: (0, 0), count: size)
        for (key, list) in map {
            var slot = Self.mix(key) & mask
            while used[slot] { slot = (slot + 1) & mask }
            used[slot] = true
            keys[slot] = key
            ranges[slot] = (Int32(rules.count), Int32(list.count))
            rules += list
        }
    }

    @inline(__always)
    static func mix(_ key: Int) -> Int { key ^ (key >> 29) }

    /// Appends the rules filed under `key` to `out`.
    @inline(__always)
    func append(_ key: Int, to out: inout [Int]) {
        guard !rules.isEmpty else { return }
        var slot = Self.mix(key) & mask
        while used[slot] {
            if keys[slot] == key {
                let r = ranges[slot]
                out.append(contentsOf: rules[Int(r.start)..<Int(r.start + r.count)])
                return
            }
            slot = (slot + 1) & mask
        }
    }
}
