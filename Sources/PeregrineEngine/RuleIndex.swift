/// Picks, per event, the rules that can possibly match, so that a thousand rules of the same
/// shape do not each get evaluated.
///
/// For every rule, a conjunct that must hold for the rule to match (a top-level `and` member,
/// through nested `and`s and shared macros) is looked for: an exact text value or set of
/// values, a text prefix (`startswith`, `pmatch`), an integer or set of integers, on a plain
/// single-valued field. The rule is then filed under that field and value(s); rules without
/// such a conjunct are always candidates. Per event, each indexed field is extracted once
/// (through the matcher's field cache) and looked up: exact values in a hash table (only when
/// some key has the value's length), prefixes and suffixes (`endswith`) by one walk down a byte
/// trie each, which stops at the first byte no key continues with. The candidates, set in a
/// bitmap over rule indices, are then evaluated in full, in rule order. The index only ever
/// adds candidates (hash collisions, prefixes that are not whole path components): it never
/// decides a match.
///
/// A text key on an ancestor field without index (`proc.aname = x`, true if any ancestor has
/// it) is looked up once per ancestor, the ancestors the check itself would try.
///
/// `contains` keys are found by walking a trie of them from every offset of the value: one
/// pass for all of a field's `contains` checks, where the root's byte map turns most offsets
/// away at once; when the keys start with at most two byte pairs, only from the offsets a
/// 16-byte compare finds them at; else when they all start with one byte, from the offsets
/// memchr finds it at.
///
/// Keys on `fd.directory` and `fd.filename` are filed as `fd.name` prefixes and suffixes
/// (`CompiledMatcher.onFdName`), so an open's path is not split for the index.
///
/// A field whose every rule also needs a check on the record's own numbers and flags (its
/// guards: `evt.is_open_write = true`, `fd.num >= 0`) is only extracted and looked up when
/// some rule's guards hold: most opens are reads, and a write rule filed under
/// `container.image.repository` then costs no process lookup for them.
final class RuleIndex {
    /// One way a rule can be found: a field slot and a key of some kind.
    enum Key: Hashable {
        case exact(Int32, [UInt8])
        case prefix(Int32, [UInt8])
        case suffix(Int32, [UInt8])
        /// `contains`: the bytes anywhere in the value.
        case substring(Int32, [UInt8])
        case int(Int32, Int64)

        var slot: Int32 {
            switch self {
            case .exact(let s, _), .prefix(let s, _), .suffix(let s, _), .substring(let s, _), .int(let s, _): return s
            }
        }
    }

    /// Collects keys rule by rule; `freeze()` turns them into a `RuleIndex`.
    struct Builder {
        struct Text {
            var slot: Int32
            /// The slot is an ancestor field without index (`proc.aname`): a rule filed under
            /// it needs some ancestor to have the key, so every ancestor's value is looked up.
            var anyAncestor = false
            /// Where the value is in the record itself, when it is (see `RecordText`).
            var recordText = RecordText.none
            /// hash(value) → rule indices
            var exact: [Int: [Int]] = [:]
            /// Bit n: some exact value has n bytes (bit 63: 63 or more).
            var exactLengths: UInt64 = 0
            var prefixes: [(key: [UInt8], rule: Int)] = []
            /// Suffixes (`endswith`), bytes reversed.
            var suffixes: [(key: [UInt8], rule: Int)] = []
            /// Substrings (`contains`).
            var substrings: [(key: [UInt8], rule: Int)] = []
        }

        var always: [Int] = []
        var texts: [Text] = []
        var ints: [(slot: Int32, values: [Int: [Int]])] = []
        /// Per field slot, the distinct guard lists of the rules filed under it; a slot
        /// with an unguarded rule is in `unguarded` instead.
        var guardLists: [Int32: [GuardList]] = [:]
        var unguarded: Set<Int32> = []

        mutating func addAlways(_ rule: Int) { always.append(rule) }

        /// Files `rule` under `key`. `guards`: what must hold for the rule to match and reads
        /// only the record (nil: nothing known, or the key's field is as cheap).
        mutating func add(rule: Int, key: Key, guards: GuardList?) {
            let slot = key.slot
            if let guards {
                if !(guardLists[slot]?.contains(guards) ?? false) { guardLists[slot, default: []].append(guards) }
            } else {
                unguarded.insert(slot)
            }
            switch key {
            case .exact(let slot, let v):
                let i = textIndex(slot)
                let h = v.withUnsafeBytes { ByteSet.hash($0) }
                texts[i].exactLengths |= RuleIndex.lengthBit(v.count)
                if texts[i].exact[h]?.last != rule { texts[i].exact[h, default: []].append(rule) }
            case .prefix(let slot, let p):
                texts[textIndex(slot)].prefixes.append((p, rule))
            case .suffix(let slot, let p):
                texts[textIndex(slot)].suffixes.append((p.reversed(), rule))
            case .substring(let slot, let p):
                texts[textIndex(slot)].substrings.append((p, rule))
            case .int(let slot, let v):
                let i: Int
                if let existing = ints.firstIndex(where: { $0.slot == slot }) {
                    i = existing
                } else {
                    ints.append((slot, [:]))
                    i = ints.count - 1
                }
                let k = Int(truncatingIfNeeded: v)
                if ints[i].values[k]?.last != rule { ints[i].values[k, default: []].append(rule) }
            }
        }

        private mutating func textIndex(_ slot: Int32) -> Int {
            if let i = texts.firstIndex(where: { $0.slot == slot }) { return i }
            texts.append(Text(slot: slot))
            return texts.count - 1
        }

        /// Builds the lookup tables; call once, after every rule was added. `roots`: each
        /// rule's condition node as the bucket evaluates it (-1: not in the bucket).
        func freeze(roots: [Int32]) -> RuleIndex { RuleIndex(self, roots: roots) }
    }

    /// An indexed text field: its slot, its exact-value table and the roots of its prefix
    /// and (reversed) suffix tries in `nodes` (-1: none).
    struct TextField {
        var slot: Int32
        var exact: HashTable
        /// `Builder.Text.exactLengths`: a value of no indexed length is not hashed at all.
        var exactLengths: UInt64
        var prefixRoot: Int32
        var suffixRoot: Int32
        /// A trie over the `contains` keys, walked from every offset of the value (-1: none).
        var substringRoot: Int32
        /// The byte all `contains` keys start with, if they share one (-1: they do not).
        var substringFirstByte: Int32
        /// The first two bytes of the `contains` keys, when they have at most two different
        /// ones (and no key is shorter), at this offset in `pairSets` (-1: not so): offsets to
        /// walk from are then found 16 at a time.
        var substringStarts: Int32
        /// Filters on the first two bytes of the prefix keys and the last two of the suffix
        /// keys, at these word offsets in `pairFilters` (-1: no filter, a key is shorter): a
        /// value whose pair no key has skips the trie walk, which costs ~30 instructions a node.
        var prefixPairs: Int32
        var suffixPairs: Int32
        var guards: Guards
        var recordText: RecordText
    }

    /// A text field an open event carries as is: `candidates` then reads it from the record,
    /// without the field cache (an extraction through it costs ~130 instructions: the
    /// extractor's switch, the value's enum, and the release of the value it replaces).
    /// Every other case (another kind of event, a refused open's `fd.name`, which is
    /// computed) takes the cache as before.
    enum RecordText: UInt8 {
        case none
        /// `fd.name` of an open that succeeded: the path the kernel resolved.
        case openPath
        /// `fd.nameraw`: the path as the caller passed it.
        case openRaw
    }

    struct IntField {
        var slot: Int32
        var table: HashTable
        var guards: Guards
    }

    /// One rule's guards: checks that must all hold for it to match and read only the record.
    enum GuardList: Hashable {
        /// Checks on the record's flags, as one test of its `RecordFacts`: all hold when
        /// `facts & mask == expected`.
        case facts(mask: UInt32, expected: UInt32)
        /// Condition nodes, evaluated (checks the facts do not cover).
        case nodes([Int32])
    }

    /// The guard lists of a field's rules in `guardNodes[start..<end]`, each either -1, mask
    /// and expected (`GuardList.facts`) or its length and its nodes; the field is worth
    /// extracting when some list holds. `start < 0`: some rule has no guard, so the field is
    /// always extracted.
    struct Guards {
        var start: Int32
        var end: Int32
        /// The one list is a test of the facts (the usual case: one rule, or rules that share
        /// their flag checks), tested inline by `candidates` with `mask` and `expected`.
        var onlyFacts = false
        var mask: UInt32 = 0
        var expected: UInt32 = 0
    }

    /// More distinct guard lists than this on one field: testing them all could cost more than
    /// the extraction they save, so the field is left unguarded.
    static let mostGuardLists = 4

    /// A read-only map from already-hashed keys (FNV-style hashes of text, or integers) to
    /// rule lists: open addressing over `slots[base...base+mask]` on the key's own bits, so a
    /// lookup is a few loads, with no hashing of its own. `mask < 0`: empty.
    struct HashTable {
        var base: Int32
        var mask: Int32
    }

    /// `count == 0`: an unused slot (every filed key has at least one rule).
    struct HashSlot {
        var key: Int
        var ruleStart: Int32
        var ruleCount: Int32
    }

    @inline(__always)
    static func lengthBit(_ count: Int) -> UInt64 { 1 &<< UInt64(min(count, 63)) }

    @inline(__always)
    static func mix(_ key: Int) -> Int { key ^ (key >> 29) }

    private static func hashTable(_ map: [Int: [Int]], _ slots: inout [HashSlot], _ rules: inout [Int32]) -> HashTable {
        guard !map.isEmpty else { return HashTable(base: 0, mask: -1) }
        var size = 8
        while size < map.count * 2 { size <<= 1 }
        let base = slots.count
        slots += Array(repeating: HashSlot(key: 0, ruleStart: 0, ruleCount: 0), count: size)
        for (key, list) in map.sorted(by: { $0.key < $1.key }) {
            var slot = mix(key) & (size - 1)
            while slots[base + slot].ruleCount != 0 { slot = (slot + 1) & (size - 1) }
            slots[base + slot] = HashSlot(key: key, ruleStart: Int32(rules.count), ruleCount: Int32(list.count))
            rules += list.map { Int32($0) }
        }
        return HashTable(base: Int32(base), mask: Int32(size - 1))
    }

    /// Marks the rules filed under `key` in `table` in the bitmap `out`.
    @inline(__always)
    func lookup(_ table: HashTable, _ key: Int, into out: UnsafeMutableBufferPointer<UInt64>) {
        guard table.mask >= 0 else { return }
        let mask = Int(table.mask)
        let base = Int(table.base)
        var slot = Self.mix(key) & mask
        while true {
            let s = slots[base + slot]
            if s.ruleCount == 0 { return }
            if s.key == key {
                mark(s.ruleStart, s.ruleCount, in: out)
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// A trie node. Its children are consecutive nodes from `firstChild`, in label order;
    /// which labels exist is a 256-bit map (`bitmaps[4 * node ..< 4 * node + 4]`) and
    /// `ranks[4 * node + w]` counts the children in the map's words before word `w`, so
    /// following a byte costs a load, a mask and a popcount, however many children there are.
    /// The rules filed under the key that ends at this node are at `ruleStart` in `rules`.
    struct TrieNode {
        var firstChild: Int32
        var ruleStart: Int32
        var ruleCount: Int32
    }

    // Everything the hot path reads lives in buffers this object owns: plain loads, no
    // reference counting or uniqueness checks per access.
    let always: UnsafeMutableBufferPointer<Int32>
    let texts: UnsafeMutableBufferPointer<TextField>
    /// Text fields of any-ancestor keys (`Builder.Text.anyAncestor`), apart from `texts`: they
    /// are looked up once per ancestor, not once per event.
    let ancestorTexts: UnsafeMutableBufferPointer<TextField>
    let ints: UnsafeMutableBufferPointer<IntField>
    let slots: UnsafeMutableBufferPointer<HashSlot>
    let nodes: UnsafeMutableBufferPointer<TrieNode>
    let bitmaps: UnsafeMutableBufferPointer<UInt64>
    let ranks: UnsafeMutableBufferPointer<UInt16>
    let rules: UnsafeMutableBufferPointer<Int32>
    let guardNodes: UnsafeMutableBufferPointer<Int32>
    /// Bitmaps of `pairBits` bits over byte pairs (see `TextField.prefixPairs`).
    let pairFilters: UnsafeMutableBufferPointer<UInt64>
    static let pairBits = 4096
    /// The pairs `contains` keys start with (see `TextField.substringStarts`).
    let pairSets: UnsafeMutableBufferPointer<ByteSearch.PairSet>

    /// A byte pair's bit: six low bits of each byte (paths are mostly ASCII letters, digits
    /// and punctuation, which differ there); a collision only lets a walk through.
    @inline(__always)
    static func pairBit(_ a: UInt8, _ b: UInt8) -> Int { Int(a & 0x3f) &<< 6 | Int(b & 0x3f) }

    /// Whether some key of the trie the filter at `filter` covers can start with the value's
    /// first two bytes (`reversed`: end with its last two).
    @inline(__always)
    func pairMayMatch(_ filter: Int32, _ b: UnsafeRawBufferPointer, reversed: Bool) -> Bool {
        if filter < 0 { return true }
        let n = b.count
        if n < 2 { return false }
        let bit = reversed ? Self.pairBit(b[n - 1], b[n - 2]) : Self.pairBit(b[0], b[1])
        return pairFilters[Int(filter) &+ bit &>> 6] & (1 &<< UInt64(bit & 63)) != 0
    }

    /// Appends a pair filter over `keys` (already reversed for suffixes); -1 when there are
    /// none or one is shorter than two bytes.
    private static func pairFilter(_ keys: [(key: [UInt8], rule: Int)], _ words: inout [UInt64]) -> Int32 {
        guard !keys.isEmpty, keys.allSatisfy({ $0.key.count >= 2 }) else { return -1 }
        let start = words.count
        words += Array(repeating: 0, count: pairBits / 64)
        for (key, _) in keys {
            let bit = pairBit(key[0], key[1])
            words[start + bit / 64] |= 1 << UInt64(bit % 64)
        }
        return Int32(start)
    }
    /// Per rule index, the root node of its condition for this bucket's event type.
    let roots: UnsafeMutableBufferPointer<Int32>

    private static func buffer<T>(_ items: [T]) -> UnsafeMutableBufferPointer<T> {
        let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(items.count, 1))
        _ = p.initialize(from: items)
        return UnsafeMutableBufferPointer(rebasing: p[0..<items.count])
    }

    init(_ b: Builder, roots: [Int32]) {
        var slots: [HashSlot] = []
        var nodes: [TrieNode] = []
        var bitmaps: [UInt64] = []
        var ranks: [UInt16] = []
        var rules: [Int32] = []
        var texts: [TextField] = []
        var ancestorTexts: [TextField] = []
        var guardNodes: [Int32] = []
        var pairFilters: [UInt64] = []
        var pairSets: [ByteSearch.PairSet] = []
        func guards(_ slot: Int32) -> Guards {
            guard !b.unguarded.contains(slot), let lists = b.guardLists[slot], lists.count <= Self.mostGuardLists else {
                return Guards(start: -1, end: -1)
            }
            if lists.count == 1, case .facts(let mask, let expected) = lists[0] {
                return Guards(start: 0, end: 0, onlyFacts: true, mask: mask, expected: expected)
            }
            let start = Int32(guardNodes.count)
            for list in lists {
                switch list {
                case .facts(let mask, let expected): guardNodes += [-1, Int32(bitPattern: mask), Int32(bitPattern: expected)]
                case .nodes(let nodes): guardNodes += [Int32(nodes.count)] + nodes
                }
            }
            return Guards(start: start, end: Int32(guardNodes.count))
        }
        for t in b.texts {
            let exact = Self.hashTable(t.exact, &slots, &rules)
            let prefixRoot = Self.trie(t.prefixes, &nodes, &bitmaps, &ranks, &rules)
            let suffixRoot = Self.trie(t.suffixes, &nodes, &bitmaps, &ranks, &rules)
            let substringRoot = Self.trie(t.substrings, &nodes, &bitmaps, &ranks, &rules)
            let firstBytes = Set(t.substrings.map { $0.key[0] })
            var starts: Int32 = -1
            if t.substrings.allSatisfy({ $0.key.count >= 2 }),
               let set = ByteSearch.PairSet(Set(t.substrings.map { [$0.key[0], $0.key[1]] }).map { ($0[0], $0[1]) }) {
                starts = Int32(pairSets.count)
                pairSets.append(set)
            }
            let field = TextField(slot: t.slot, exact: exact, exactLengths: t.exactLengths, prefixRoot: prefixRoot,
                                  suffixRoot: suffixRoot, substringRoot: substringRoot,
                                  substringFirstByte: firstBytes.count == 1 ? Int32(firstBytes.first!) : -1,
                                  substringStarts: starts,
                                  prefixPairs: Self.pairFilter(t.prefixes, &pairFilters),
                                  suffixPairs: Self.pairFilter(t.suffixes, &pairFilters),
                                  guards: guards(t.slot), recordText: t.recordText)
            if t.anyAncestor { ancestorTexts.append(field) } else { texts.append(field) }
        }
        var ints: [IntField] = []
        for i in b.ints {
            ints.append(IntField(slot: i.slot, table: Self.hashTable(i.values, &slots, &rules), guards: guards(i.slot)))
        }
        self.slots = Self.buffer(slots)
        self.always = Self.buffer(b.always.map { Int32($0) })
        self.texts = Self.buffer(texts)
        self.ancestorTexts = Self.buffer(ancestorTexts)
        self.ints = Self.buffer(ints)
        self.nodes = Self.buffer(nodes)
        self.bitmaps = Self.buffer(bitmaps)
        self.ranks = Self.buffer(ranks)
        self.rules = Self.buffer(rules)
        self.guardNodes = Self.buffer(guardNodes)
        self.pairFilters = Self.buffer(pairFilters)
        self.pairSets = Self.buffer(pairSets)
        self.roots = Self.buffer(roots)
    }

    deinit {
        for p in [always.baseAddress, rules.baseAddress, roots.baseAddress, guardNodes.baseAddress] { p?.deallocate() }
        pairFilters.baseAddress?.deallocate()
        pairSets.baseAddress?.deallocate()
        texts.baseAddress?.deallocate()
        ancestorTexts.baseAddress?.deallocate()
        ints.baseAddress?.deallocate()
        nodes.baseAddress?.deallocate()
        bitmaps.baseAddress?.deallocate()
        ranks.baseAddress?.deallocate()
        slots.baseAddress?.deallocate()
    }

    /// Appends a byte trie over `keys` to the flat arrays (children of a node contiguous);
    /// returns its root, or -1 when there are no keys.
    private static func trie(_ keys: [(key: [UInt8], rule: Int)], _ nodes: inout [TrieNode], _ bitmaps: inout [UInt64],
                             _ ranks: inout [UInt16], _ rules: inout [Int32]) -> Int32 {
        guard !keys.isEmpty else { return -1 }
        // A tree of dictionaries first, then flattened breadth-first.
        var children: [[UInt8: Int]] = [[:]]
        var filed: [[Int32]] = [[]]
        for (key, rule) in keys {
            var n = 0
            for c in key {
                if let next = children[n][c] {
                    n = next
                } else {
                    children.append([:])
                    filed.append([])
                    children[n][c] = children.count - 1
                    n = children.count - 1
                }
            }
            if filed[n].last != Int32(rule) { filed[n].append(Int32(rule)) }
        }
        let base = nodes.count
        var order = [0]
        var position = [0: 0]
        var k = 0
        while k < order.count {
            for (_, child) in children[order[k]].sorted(by: { $0.key < $1.key }) {
                position[child] = order.count
                order.append(child)
            }
            k += 1
        }
        for n in order {
            let kids = children[n].sorted { $0.key < $1.key }
            var words: [UInt64] = [0, 0, 0, 0]
            for (label, _) in kids { words[Int(label >> 6)] |= 1 << UInt64(label & 63) }
            var before: UInt16 = 0
            for w in words {
                ranks.append(before)
                before += UInt16(w.nonzeroBitCount)
            }
            bitmaps += words
            let first = kids.first.map { base + position[$0.value]! } ?? 0
            nodes.append(TrieNode(firstChild: Int32(first), ruleStart: Int32(rules.count), ruleCount: Int32(filed[n].count)))
            rules += filed[n]
        }
        return Int32(base)
    }

    /// Marks the rules of trie `root` filed under a prefix of `b` (read backwards when
    /// `reversed`: suffixes) in the bitmap `out`. One walk, stopping where no indexed key continues.
    /// `from`: where the prefix starts (`contains` keys are prefixes at every offset).
    @inline(__always)
    func walk(_ root: Int32, _ b: UnsafeRawBufferPointer, from: Int = 0, reversed: Bool, into out: UnsafeMutableBufferPointer<UInt64>) {
        // Locals: the marks written to `out` could, for all the compiler knows, change this
        // object's fields, which it would then load again for every node.
        let nodes = self.nodes, bitmaps = self.bitmaps, ranks = self.ranks
        var node = Int(root)
        var i = from
        let count = b.count
        while true {
            let n = nodes[node]
            if n.ruleCount > 0 { mark(n.ruleStart, n.ruleCount, in: out) }
            guard i < count else { return }
            let c = reversed ? b[count - 1 - i] : b[i]
            let w = node &<< 2 | Int(c &>> 6)
            let word = bitmaps[w]
            let bit = UInt64(1) &<< UInt64(c & 63)
            guard word & bit != 0 else { return }
            node = Int(n.firstChild) &+ Int(ranks[w])
            // Most nodes have one child (the tries are mostly chains): no popcount for those.
            let below = word & (bit &- 1)
            if below != 0 { node &+= below.nonzeroBitCount }
            i += 1
        }
    }

    /// `walk` from every offset of `b`: the rules of field `t`'s `contains` trie filed under a
    /// substring of it. Only from the offsets where some key's first two bytes are (found 16
    /// at a time: most paths have none of a key such as `../`), else where its first byte is
    /// (memchr), else from every offset.
    @inline(never)
    func walkFromEveryOffset(_ field: UnsafePointer<TextField>, _ b: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt64>) {
        let root = field.pointee.substringRoot
        if field.pointee.substringStarts >= 0 {
            let starts = pairSets.baseAddress! + Int(field.pointee.substringStarts)
            var from = 0
            while let at = starts.pointee.firstOffset(in: b, from: from) {
                walk(root, b, from: at, reversed: false, into: out)
                from = at + 1
            }
            return
        }
        let firstByte = field.pointee.substringFirstByte
        var start = 0
        if firstByte >= 0 {
            guard let base = b.baseAddress else { return }
            while start < b.count {
                guard let hit = memchr(base + start, firstByte, b.count - start) else { return }
                let at = base.distance(to: UnsafeRawPointer(hit))
                walk(root, b, from: at, reversed: false, into: out)
                start = at + 1
            }
            return
        }
        while start < b.count {
            walk(root, b, from: start, reversed: false, into: out)
            start += 1
        }
    }

    @inline(__always)
    static func mark(_ rule: Int32, _ bits: UnsafeMutableBufferPointer<UInt64>) {
        bits[Int(rule &>> 6)] |= 1 &<< UInt64(rule & 63)
    }

    @inline(__always)
    func markAlways(in out: UnsafeMutableBufferPointer<UInt64>) {
        var k = 0
        while k < always.count {
            Self.mark(always[k], out)
            k += 1
        }
    }

    @inline(__always)
    func mark(_ start: Int32, _ count: Int32, in out: UnsafeMutableBufferPointer<UInt64>) {
        var k = Int(start)
        let end = k + Int(count)
        while k < end {
            Self.mark(rules[k], out)
            k += 1
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
