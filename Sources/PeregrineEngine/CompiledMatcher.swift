import PeregrineEvents
import PeregrineRules

/// Rule conditions lowered into flat arrays of plain nodes and checks, evaluated over one
/// event with a per-event field cache: every field is extracted at most once per event and
/// shared by all rules; constants are prepared once (bytes, hash sets, event-type bitmasks).
///
/// Checks this lowering does not specialise (regular expressions, globs, transformers,
/// comparisons between two fields, list-valued fields) run through the reference evaluator,
/// so the meaning never differs from it — only the speed.
final class CompiledMatcher {
    enum Node {
        case and(first: Int32, count: Int32)
        case or(first: Int32, count: Int32)
        case not(Int32)
        case constant(Bool)
        case check(Int32)
    }

    struct Slot: Hashable {
        var code: FieldCode
        var field: ResolvedField
        /// Transformers applied to the field's value, innermost first (`basename`, `tolower`,
        /// `toupper`, and `len` last); their results live in the extractor's per-event arena.
        var transforms: [FieldTransformer] = []
    }

    /// What a check does. Payloads are indices into the constant tables below, so a check
    /// is plain data: reading one per event costs no reference counting.
    enum Test {
        case exists
        case eventTypes(UInt64)
        case intCompare(ComparisonOperator, Int64)
        case intSet(Int32)
        case boolCompare(ComparisonOperator, Bool)
        case textCompare(ComparisonOperator, Int32)
        case textSet(Int32)
        /// The text, and the offset in it that `ByteSearch.contains(_:_:anchor:)` looks for first.
        case contains(Int32, anchor: Int32)
        case icontains(Int32)
        case startsWith(Int32)
        case endsWith(Int32)
        case glob(Int32)
        case pathPrefixes(Int32)
        case reference(Int32)
    }

    private var texts: [[UInt8]] = []
    private var textLists: [[[UInt8]]] = []
    private var byteSets: [ByteSet] = []
    private var intSets: [Set<Int64>] = []
    private var references: [CompiledCondition] = []

    private func addText(_ b: [UInt8]) -> Int32 {
        texts.append(b)
        return Int32(texts.count - 1)
    }

    struct Check {
        var slot: Int32
        var test: Test
        /// An ancestor field without index: true if any ancestor passes.
        var anyAncestor: Bool
    }

    private(set) var nodes: [Node] = []
    private var children: [Int32] = []
    private(set) var checks: [Check] = []
    private(set) var slots: [Slot] = []
    /// `slots[i].code`, kept apart so the hot path reads plain bytes.
    private var slotCodes: [FieldCode] = []
    private var slotArguments: [FieldArgument?] = []
    private var slotTransforms: [[FieldTransformer]] = []
    private var slotByField: [Slot: Int32] = [:]
    /// Root node per rule index (-1: the rule has no condition).
    private(set) var roots: [Int32] = []

    // Per-event cache, reused: `stamp[i] == epoch` means `values[i]` holds this event's value.
    // The hot path reads plain memory: arrays are built while lowering, then frozen into
    // buffers this object owns (no bounds checks, no reference counting per access).
    private var values: UnsafeMutablePointer<FastValue>
    private var stamp: UnsafeMutablePointer<UInt64>
    private var epoch: UInt64 = 0
    private var initializedValues = 0
    private var nodeBuffer: UnsafeMutablePointer<Node>
    private var childBuffer: UnsafeMutablePointer<Int32>
    private var checkBuffer: UnsafeMutablePointer<Check>
    private var codeBuffer: UnsafeMutablePointer<FieldCode>
    /// Per slot: no argument, no transformer, not answered by another layer (most slots), so
    /// extracting it needs nothing from `slots` (a copy of a field retains all it holds).
    private var plainBuffer: UnsafeMutablePointer<Bool>
    /// Per slot: container metadata without argument or transformer, read straight from the
    /// process's container handle when it has one (see `extractSpecial`).
    private var metadataBuffer: UnsafeMutablePointer<Bool>
    private var nodeShared: UnsafeMutablePointer<Bool>
    private var nodeStamp: UnsafeMutablePointer<UInt64>
    private var nodeResult: UnsafeMutablePointer<Bool>
    /// `texts` copied into memory this object owns, for the checks to borrow.
    private var textBytes: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private var textByteCount = 0

    init(rules: RuleSet) {
        values = .allocate(capacity: 1)
        stamp = .allocate(capacity: 1)
        nodeBuffer = .allocate(capacity: 1)
        childBuffer = .allocate(capacity: 1)
        checkBuffer = .allocate(capacity: 1)
        codeBuffer = .allocate(capacity: 1)
        plainBuffer = .allocate(capacity: 1)
        metadataBuffer = .allocate(capacity: 1)
        nodeShared = .allocate(capacity: 1)
        nodeStamp = .allocate(capacity: 1)
        nodeResult = .allocate(capacity: 1)
        textBytes = .allocate(capacity: 1)
        for rule in rules.rules {
            if let c = rule.condition, rule.isEnabled { roots.append(lower(c, shape(of: c))) } else { roots.append(-1) }
        }
        if slots.contains(where: { Self.isPlainPathPart($0) }), let info = FieldCatalog.standard["fd.name"] {
            fdNameSlot = slot(for: ResolvedField(info: info))
        }
        slotCodes = slots.map(\.code)
        slotArguments = slots.map(\.field.argument)
        slotTransforms = slots.map(\.transforms)
        freeBuffers()
        values = Self.buffer(Array(repeating: FastValue.missing, count: slots.count))
        initializedValues = slots.count
        stamp = Self.buffer(Array(repeating: UInt64(0), count: slots.count))
        nodeBuffer = Self.buffer(nodes)
        childBuffer = Self.buffer(children)
        checkBuffer = Self.buffer(checks)
        codeBuffer = Self.buffer(slotCodes)
        metadataBuffer = Self.buffer(slots.map { $0.field.argument == nil && $0.transforms.isEmpty && $0.code.isContainerMetadata })
        plainBuffer = Self.buffer(slots.map {
            $0.field.argument == nil && $0.transforms.isEmpty && $0.code != .external && !$0.code.isContainerMetadata
        })
        nodeShared = Self.buffer((0..<nodes.count).map { sharedNodes.contains(Int32($0)) })
        nodeStamp = Self.buffer(Array(repeating: UInt64(0), count: nodes.count))
        nodeResult = Self.buffer(Array(repeating: false, count: nodes.count))
        nodeByShape = [:]
        shapeIDs = [:]
        textBytes.deallocate()
        textBytes = .allocate(capacity: max(texts.count, 1))
        for (i, t) in texts.enumerated() {
            let room = UnsafeMutableRawBufferPointer.allocate(byteCount: max(t.count, 1), alignment: 8)
            room.copyBytes(from: t)
            textBytes[i] = UnsafeRawBufferPointer(start: room.baseAddress, count: t.count)
        }
        textByteCount = texts.count
    }

    deinit {
        freeBuffers()
        for i in 0..<textByteCount { textBytes[i].baseAddress?.deallocate() }
        textBytes.deallocate()
    }

    private func freeBuffers() {
        values.deinitialize(count: initializedValues)
        values.deallocate()
        stamp.deallocate()
        nodeBuffer.deallocate()
        childBuffer.deallocate()
        checkBuffer.deallocate()
        codeBuffer.deallocate()
        plainBuffer.deallocate()
        metadataBuffer.deallocate()
        nodeShared.deallocate()
        nodeStamp.deallocate()
        nodeResult.deallocate()
    }

    private static func buffer<T>(_ items: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(items.count, 1))
        p.initialize(from: items, count: items.count)
        return p
    }

    // MARK: lowering

    /// Identical subtrees (a macro such as `open_write`, expanded into hundreds of rules)
    /// become one node; a node used more than once remembers its result for the event.
    private var nodeByShape: [Int32: Int32] = [:]
    private var sharedNodes: Set<Int32> = []

    /// A condition's subtrees numbered so that equal subtrees have equal numbers, mirroring
    /// the condition. Each node is hashed once, as its kind and its children's numbers: a
    /// dictionary keyed by the condition hashed the whole subtree at every level, which was
    /// most of compiling Falco's rules.
    private final class Shape {
        let id: Int32
        let children: [Shape]
        init(id: Int32, children: [Shape]) {
            self.id = id
            self.children = children
        }
    }

    private enum ShapeKey: Hashable {
        case and([Int32]), or([Int32]), not(Int32), check(CompiledCheck), constant(Bool)
    }

    private var shapeIDs: [ShapeKey: Int32] = [:]

    private func shape(of c: CompiledCondition) -> Shape {
        let children: [Shape]
        let key: ShapeKey
        switch c {
        case .and(let xs):
            children = xs.map(shape(of:))
            key = .and(children.map(\.id))
        case .or(let xs):
            children = xs.map(shape(of:))
            key = .or(children.map(\.id))
        case .not(let x):
            children = [shape(of: x)]
            key = .not(children[0].id)
        case .check(let check):
            children = []
            key = .check(check)
        case .constant(let b):
            children = []
            key = .constant(b)
        }
        if let id = shapeIDs[key] { return Shape(id: id, children: children) }
        let id = Int32(shapeIDs.count)
        shapeIDs[key] = id
        return Shape(id: id, children: children)
    }

    /// `shape` is `shape(of: c)`.
    private func lower(_ c: CompiledCondition, _ shape: Shape) -> Int32 {
        if let existing = nodeByShape[shape.id] {
            sharedNodes.insert(existing)
            return existing
        }
        let n = lowerNew(c, shape)
        nodeByShape[shape.id] = n
        return n
    }

    private func lowerNew(_ c: CompiledCondition, _ shape: Shape) -> Int32 {
        switch c {
        case .constant(let b):
            return add(.constant(b))
        case .not(let x):
            let inner = lower(x, shape.children[0])
            return add(.not(inner))
        case .and(let xs), .or(let xs):
            let lowered = zip(xs, shape.children).map { lower($0, $1) }
            let first = Int32(children.count)
            children += lowered
            if case .and = c { return add(.and(first: first, count: Int32(lowered.count))) }
            return add(.or(first: first, count: Int32(lowered.count)))
        case .check(let check):
            checks.append(lowerCheck(check, whole: c))
            return add(.check(Int32(checks.count - 1)))
        }
    }

    private func add(_ n: Node) -> Int32 {
        nodes.append(n)
        return Int32(nodes.count - 1)
    }

    private func slot(for field: ResolvedField, transforms: [FieldTransformer] = []) -> Int32 {
        let key = Slot(code: FieldCode.of(field), field: field, transforms: transforms)
        if let s = slotByField[key] { return s }
        slots.append(key)
        let s = Int32(slots.count - 1)
        slotByField[key] = s
        return s
    }

    /// A field under transformers this matcher applies itself: text transformers on a
    /// single-valued text field, `len` only outermost. Nil for anything else.
    private static func transformedField(_ o: CompiledOperand) -> (ResolvedField, [FieldTransformer])? {
        var transforms: [FieldTransformer] = []
        var cur = o
        while case .transformed(let t, let inner) = cur {
            switch t {
            case .basename, .tolower, .toupper: break
            case .len where transforms.isEmpty: break
            default: return nil
            }
            transforms.insert(t, at: 0)
            cur = inner
        }
        guard case .field(let f) = cur else { return nil }
        if !transforms.isEmpty && (f.isMultiValued || f.info.type != .string) { return nil }
        return (f, transforms)
    }

    private func lowerCheck(_ c: CompiledCheck, whole: CompiledCondition) -> Check {
        references.append(whole)
        let fallback = Check(slot: -1, test: .reference(Int32(references.count - 1)), anyAncestor: false)
        guard c.modifier == nil, let (field, transforms) = Self.transformedField(c.operand) else { return fallback }
        let code = FieldCode.of(field)
        if code == .external || field.info.multiplicity == .list && field.argument == nil { return fallback }
        let anyAncestor = code.isAncestor && field.argument == nil
        if anyAncestor && !transforms.isEmpty { return fallback }
        let s = slot(for: field, transforms: transforms)
        func check(_ t: Test) -> Check { Check(slot: s, test: t, anyAncestor: anyAncestor) }

        if c.op == .exists { return check(.exists) }
        let type = c.operand.type
        let numeric = type.isNumeric
        let isBool = type == .bool
        let isText = type == .string || type == .bytes

        if code == .evtType, transforms.isEmpty, c.op == .equal || c.op == .notEqual || c.op == .in {
            var mask: UInt64 = 0
            var names: [Constant] = []
            switch c.value {
            case .constant(let k): names = [k]
            case .set(let xs, _): names = xs
            default: return fallback
            }
            for k in names {
                guard case .string(let n) = k else { return fallback }
                if let i = EventTypeCode.byName[n] { mask |= 1 << UInt64(i) }
            }
            if c.op == .notEqual { return check(.eventTypes(~mask)) }
            return check(.eventTypes(mask))
        }

        switch c.value {
        case .constant(let k):
            if numeric, let n = Self.integer(k), c.op == .equal || c.op == .notEqual || c.op.isOrdering {
                return check(.intCompare(c.op, n))
            }
            if isBool, case .bool(let b) = k, c.op == .equal || c.op == .notEqual { return check(.boolCompare(c.op, b)) }
            guard isText, case .string(let text) = k else { return fallback }
            let bytes = Array(text.utf8)
            switch c.op {
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return check(.textCompare(c.op, addText(bytes)))
            case .contains, .bcontains: return check(.contains(addText(bytes), anchor: Int32(ByteSearch.anchor(bytes))))
            case .icontains: return check(.icontains(addText(Self.lower(bytes))))
            case .startswith, .bstartswith: return check(.startsWith(addText(bytes)))
            case .endswith: return check(.endsWith(addText(bytes)))
            case .glob: return check(.glob(addText(bytes)))
            case .pmatch: return check(.pathPrefixes(list([bytes])))
            default: return fallback
            }
        case .set(let xs, _):
            guard c.op == .in || c.op == .intersects else {
                if c.op == .pmatch, isText {
                    var prefixes: [[UInt8]] = []
                    for k in xs {
                        guard case .string(let p) = k else { return fallback }
                        prefixes.append(Array(p.utf8))
                    }
                    return check(.pathPrefixes(list(prefixes)))
                }
                return fallback
            }
            if numeric {
                var set = Set<Int64>()
                for k in xs {
                    guard let n = Self.integer(k) else { return fallback }
                    set.insert(n)
                }
                intSets.append(set)
                return check(.intSet(Int32(intSets.count - 1)))
            }
            guard isText else { return fallback }
            var strings: [[UInt8]] = []
            for k in xs {
                // A number in a text list could match numerically in the reference: keep its meaning.
                guard case .string(let t) = k, Int64(t) == nil else { return fallback }
                strings.append(Array(t.utf8))
            }
            byteSets.append(ByteSet(strings))
            return check(.textSet(Int32(byteSets.count - 1)))
        case .pathPrefixes(let prefixes):
            guard isText else { return fallback }
            return check(.pathPrefixes(list(prefixes.map { Array($0.utf8) })))
        default:
            return fallback
        }
    }

    private func list(_ items: [[UInt8]]) -> Int32 {
        textLists.append(items)
        return Int32(textLists.count - 1)
    }

    static func integer(_ k: Constant) -> Int64? {
        switch k {
        case .int(let i): return i
        case .uint(let u): return u <= UInt64(Int64.max) ? Int64(u) : nil
        case .string(let s): return Int64(s)
        default: return nil
        }
    }

    static func lower(_ b: [UInt8]) -> [UInt8] { b.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } }

    // MARK: evaluation

    /// Starts a new event: earlier cached values are invalid from now on.
    func begin() {
        epoch &+= 1
    }

    // MARK: rule index

    /// The index for a bucket of rules (all of one event type), in load order.
    ///
    /// Each rule is filed under the keys of one necessary condition, chosen to be the rarest:
    /// a key many rules share (`fd.typechar = f` from a macro) selects nothing, so keys are
    /// weighed by how many rules of the bucket could use them.
    ///
    /// All its events have type `eventType` (an `EventTypeCode` index), so each rule's `evt.type`
    /// checks are decided here, once: the index files, and the matcher evaluates, the rule's
    /// condition with them folded away (`evt.type in (open, openat) and x` is just `x`).
    func index(for rules: [Int], eventType: Int) -> RuleIndex {
        var options: [Int: [[RuleIndex.Key]]] = [:]
        var frequency: [RuleIndex.Key: Int] = [:]
        let nodeCount = nodes.count
        var folded = Array(repeating: Int32(-1), count: roots.count)
        foldMemo.removeAll(keepingCapacity: true)
        for rule in rules where roots[rule] >= 0 {
            folded[rule] = fold(roots[rule], eventType: eventType)
        }
        if nodes.count != nodeCount { freezeNodes() }
        for rule in rules {
            let root = folded[rule]
            guard root >= 0 else { continue }
            let found = requiredKeySets(root).map { $0.map(onFdName) }
            options[rule] = found
            for keys in found { for k in Set(keys) { frequency[k, default: 0] += 1 } }
        }
        var chosen: [Int: [RuleIndex.Key]] = [:]
        var walkedRulesBySlot: [Int32: Int] = [:]
        var firstBytesBySlot: [Int32: Set<UInt8>] = [:]
        for rule in rules {
            // The set whose keys, together, select the fewest rules; a set with keys that cost
            // a walk per event (see `walkedSlot`) only when there is no other.
            let all = options[rule] ?? []
            let cheap = all.filter { !$0.contains { walkedSlot($0) != nil } }
            let best = (cheap.isEmpty ? all : cheap).min { a, b in
                a.reduce(0) { $0 + frequency[$1, default: 0] } < b.reduce(0) { $0 + frequency[$1, default: 0] }
            }
            guard let keys = best, !keys.isEmpty else { continue }
            chosen[rule] = keys
            for slot in Set(keys.compactMap(walkedSlot)) { walkedRulesBySlot[slot, default: 0] += 1 }
            for case .substring(let slot, let text) in keys { firstBytesBySlot[slot, default: []].insert(text[0]) }
        }
        // A field walked for `contains` keys that all start with one byte costs about one
        // `contains` check (memchr finds the offsets to walk from): worth it for a single rule.
        func worthWalking(_ slot: Int32) -> Bool {
            walkedRulesBySlot[slot, default: 0] >= Self.fewestWalkedRules
                || !isAnyAncestor(slot: slot) && firstBytesBySlot[slot]?.count == 1
        }
        var index = RuleIndex.Builder()
        for rule in rules {
            guard let keys = chosen[rule], !keys.contains(where: { walkedSlot($0).map { !worthWalking($0) } ?? false }) else {
                index.addAlways(rule)
                continue
            }
            let guards = guardList(recordGuards(folded[rule]))
            for k in keys {
                // A field read from the record costs about what its guards would.
                index.add(rule: rule, key: k, guards: slots[Int(k.slot)].code.readsRecordOnly ? nil : guards)
            }
        }
        for i in index.texts.indices {
            let slot = index.texts[i].slot
            index.texts[i].anyAncestor = isAnyAncestor(slot: slot)
            index.texts[i].recordText = recordText(slot: slot)
        }
        return index.freeze(roots: folded)
    }

    /// Whether the index may read slot `slot` straight from an open's record (see
    /// `RuleIndex.RecordText`): only the plain field, with no argument or transformer.
    private func recordText(slot: Int32) -> RuleIndex.RecordText {
        guard plainBuffer[Int(slot)] else { return .none }
        switch codeBuffer[Int(slot)] {
        case .fdName: return .openPath
        case .fdNameRaw: return .openRaw
        default: return .none
        }
    }

    /// Guards tested per rule before its indexed field is extracted (see `RuleIndex.Guards`):
    /// one usually decides (`evt.is_open_write = true`), and each costs a check.
    static let mostGuardsPerRule = 2

    /// Guard nodes as one test of the record's facts when they are all checks the facts
    /// answer (most are), else the first few nodes; nil for none.
    private func guardList(_ guards: [Int32]) -> RuleIndex.GuardList? {
        guard !guards.isEmpty else { return nil }
        var mask: UInt32 = 0, expected: UInt32 = 0
        for g in guards {
            guard case .check(let c) = nodes[Int(g)], let (m, e) = factsTest(checks[Int(c)]) else {
                return .nodes(Array(guards.prefix(Self.mostGuardsPerRule)))
            }
            // Two checks that want a fact both ways: the rule can never match.
            if (mask & m & (expected ^ e)) != 0 { return .facts(mask: 0, expected: 1) }
            mask |= m
            expected |= e
        }
        return .facts(mask: mask, expected: expected)
    }

    /// A check as a test of `RecordFacts` (holds iff `facts & mask == expected`), when it is
    /// one: a flag compared with a boolean, or the result compared with zero. A missing value
    /// fails a check, so the fact that the value exists is part of the test.
    private func factsTest(_ check: Check) -> (UInt32, UInt32)? {
        guard check.slot >= 0, !check.anyAncestor else { return nil }
        let slot = slots[Int(check.slot)]
        guard slot.field.argument == nil, slot.transforms.isEmpty else { return nil }
        typealias F = RecordFacts
        func flag(present: F, _ fact: F, wanted: Bool) -> (UInt32, UInt32) {
            (present.rawValue | fact.rawValue, present.rawValue | (wanted ? fact.rawValue : 0))
        }
        switch (slot.code, check.test) {
        case (.evtIsOpenRead, .boolCompare(let op, let b)): return flag(present: .open, .openRead, wanted: (op == .equal) == b)
        case (.evtIsOpenWrite, .boolCompare(let op, let b)): return flag(present: .open, .openWrite, wanted: (op == .equal) == b)
        case (.evtIsOpenCreate, .boolCompare(let op, let b)): return flag(present: .open, .openCreate, wanted: (op == .equal) == b)
        case (.evtFailed, .boolCompare(let op, let b)): return flag(present: .hasResult, .failed, wanted: (op == .equal) == b)
        case (.threadIsMain, .boolCompare(let op, let b)): return flag(present: [], .mainThread, wanted: (op == .equal) == b)
        case (.fdNum, .intCompare(.greaterOrEqual, 0)), (.fdNum, .intCompare(.greater, -1)):
            return (F.openSucceeded.rawValue, F.openSucceeded.rawValue)
        case (.evtRawRes, .intCompare(.greaterOrEqual, 0)), (.evtRawRes, .intCompare(.greater, -1)):
            return flag(present: .hasResult, .failed, wanted: false)
        case (.evtRawRes, .intCompare(.less, 0)):
            return flag(present: .hasResult, .failed, wanted: true)
        default: return nil
        }
    }

    /// The conjuncts of node `n` (through nested `and`s) that read only the record's own
    /// numbers and flags: necessary conditions that cost a check each.
    private func recordGuards(_ n: Int32) -> [Int32] {
        if case .and(let first, let count) = nodes[Int(n)] {
            return (first..<(first + count)).flatMap { recordGuards(children[Int($0)]) }
        }
        return readsRecordAlone(n) ? [n] : []
    }

    private func readsRecordAlone(_ n: Int32) -> Bool {
        switch nodes[Int(n)] {
        case .constant: return false
        case .not(let x): return readsRecordAlone(x)
        case .and(let first, let count), .or(let first, let count):
            return (first..<(first + count)).allSatisfy { readsRecordAlone(children[Int($0)]) }
        case .check(let c):
            let check = checks[Int(c)]
            if case .eventTypes = check.test { return true }
            guard check.slot >= 0, !check.anyAncestor else { return false }
            let slot = slots[Int(check.slot)]
            return slot.code.isFromRecordAlone && slot.field.argument == nil && slot.transforms.isEmpty
        }
    }

    /// Rules of a bucket that must file keys on one walked field for the index to walk it: the
    /// walk costs every event of the bucket, where a few rules that need it mostly fail on a
    /// cheaper check first and never walk at all (a field whose `contains` keys share their
    /// first byte is the exception: see `index(for:eventType:)`).
    static let fewestWalkedRules = 8

    /// The slot of a key whose lookup walks something per event rather than hashing one value:
    /// every ancestor (an any-ancestor field), every offset of the value (`contains`); nil for
    /// other keys.
    private func walkedSlot(_ k: RuleIndex.Key) -> Int32? {
        let slot: Int32
        switch k {
        case .substring(let s, _): return s
        case .exact(let s, _), .prefix(let s, _), .suffix(let s, _), .int(let s, _): slot = s
        }
        return isAnyAncestor(slot: slot) ? slot : nil
    }

    /// Per `index(for:eventType:)`: node → its folded form.
    private var foldMemo: [Int32: Int32] = [:]

    /// Node `n` for events of type `eventType`: `evt.type` checks become constants, and
    /// constants are folded into the `and`/`or`/`not` above them. Subtrees without such a
    /// check stay the nodes they were; new nodes are shared like lowered ones.
    private func fold(_ n: Int32, eventType: Int) -> Int32 {
        if let done = foldMemo[n] {
            sharedNodes.insert(done)
            return done
        }
        let r = foldNew(n, eventType: eventType)
        foldMemo[n] = r
        return r
    }

    private func constantNode(_ n: Int32) -> Bool? {
        if case .constant(let b) = nodes[Int(n)] { return b }
        return nil
    }

    private func foldNew(_ n: Int32, eventType: Int) -> Int32 {
        switch nodes[Int(n)] {
        case .constant:
            return n
        case .check(let c):
            guard case .eventTypes(let mask) = checks[Int(c)].test else { return n }
            return add(.constant(mask & (1 << UInt64(eventType)) != 0))
        case .not(let x):
            let f = fold(x, eventType: eventType)
            if let b = constantNode(f) { return add(.constant(!b)) }
            return f == x ? n : add(.not(f))
        case .and(let first, let count), .or(let first, let count):
            var isAnd = false
            if case .and = nodes[Int(n)] { isAnd = true }
            var kept: [Int32] = []
            var changed = false
            for i in first..<(first + count) {
                let child = children[Int(i)]
                let f = fold(child, eventType: eventType)
                if f != child { changed = true }
                if let b = constantNode(f) {
                    // `and`: a false member decides, a true one drops out; `or` the reverse.
                    if b != isAnd { return add(.constant(b)) }
                    changed = true
                    continue
                }
                kept.append(f)
            }
            if !changed { return n }
            if kept.isEmpty { return add(.constant(isAnd)) }
            if kept.count == 1 { return kept[0] }
            let start = Int32(children.count)
            children += kept
            return add(isAnd ? .and(first: start, count: Int32(kept.count)) : .or(first: start, count: Int32(kept.count)))
        }
    }

    /// Rebuilds the evaluation buffers after `fold` added nodes.
    private func freezeNodes() {
        nodeBuffer.deallocate()
        childBuffer.deallocate()
        nodeShared.deallocate()
        nodeStamp.deallocate()
        nodeResult.deallocate()
        nodeBuffer = Self.buffer(nodes)
        childBuffer = Self.buffer(children)
        nodeShared = Self.buffer((0..<nodes.count).map { sharedNodes.contains(Int32($0)) })
        nodeStamp = Self.buffer(Array(repeating: UInt64(0), count: nodes.count))
        nodeResult = Self.buffer(Array(repeating: false, count: nodes.count))
    }

    /// `fd.directory` or `fd.filename` as they are (no argument, no transformer).
    private static func isPlainPathPart(_ slot: Slot) -> Bool {
        (slot.code == .fdDirectory || slot.code == .fdFilename) && slot.field.argument == nil && slot.transforms.isEmpty
    }

    /// The plain `fd.name` slot, when some check reads `fd.directory` or `fd.filename`.
    private var fdNameSlot: Int32 = -1

    /// A key on `fd.directory` or `fd.filename` as a key on `fd.name` that every value the
    /// original finds also has: `fd.directory = /etc/pam.d` needs `fd.name` to start with
    /// `/etc/pam.d/`, `fd.filename = shadow` to end with `shadow`. The index then walks the
    /// `fd.name` tries it walks anyway instead of splitting every open's path for two more
    /// lookups (the rule is still evaluated in full). Other keys stay as they are.
    private func onFdName(_ key: RuleIndex.Key) -> RuleIndex.Key {
        guard fdNameSlot >= 0, Self.isPlainPathPart(slots[Int(key.slot)]) else { return key }
        let directory = slots[Int(key.slot)].code == .fdDirectory
        let slash = UInt8(ascii: "/"), dot = [UInt8(ascii: ".")]
        switch key {
        // A name without '/' has directory "." and is its own file name.
        case .exact(_, let v) where directory && !v.isEmpty && v != dot:
            return .prefix(fdNameSlot, v == [slash] ? v : v + [slash])
        case .prefix(_, let v) where directory && v != dot:
            return .prefix(fdNameSlot, v)
        case .exact(_, let v) where !directory && !v.isEmpty, .suffix(_, let v) where !directory:
            return .suffix(fdNameSlot, v)
        default:
            return key
        }
    }

    /// Alternative key sets for node `n`: the node can only be true if the event matches at
    /// least one key of a set. An `and` offers its members' sets; an `or` offers one set
    /// that unites one set of each member (all members must be indexable).
    private func requiredKeySets(_ n: Int32) -> [[RuleIndex.Key]] {
        switch nodes[Int(n)] {
        case .and(let first, let count):
            var out: [[RuleIndex.Key]] = []
            for i in first..<(first + count) { out += requiredKeySets(children[Int(i)]) }
            return out
        case .or(let first, let count):
            var union: [RuleIndex.Key] = []
            for i in first..<(first + count) {
                // The smallest alternative of each member.
                guard let member = requiredKeySets(children[Int(i)]).min(by: { $0.count < $1.count }) else { return [] }
                union += member
            }
            return union.isEmpty ? [] : [union]
        case .check(let c):
            let check = checks[Int(c)]
            guard check.slot >= 0, !Self.fewValues(codeBuffer[Int(check.slot)]) else { return [] }
            let slot = check.slot
            // Any-ancestor checks are filed by text only: `candidates` walks the ancestors for
            // text fields, not for integer ones (`proc.apid`).
            if check.anyAncestor, case .intCompare = check.test { return [] }
            if check.anyAncestor, case .intSet = check.test { return [] }
            switch check.test {
            case .textCompare(.equal, let k): return [[.exact(slot, texts[Int(k)])]]
            case .textSet(let set): return [byteSets[Int(set)].members.map { .exact(slot, $0) }]
            case .startsWith(let k): return texts[Int(k)].isEmpty ? [] : [[.prefix(slot, texts[Int(k)])]]
            case .endsWith(let k): return texts[Int(k)].isEmpty ? [] : [[.suffix(slot, texts[Int(k)])]]
            case .contains(let k, _): return texts[Int(k)].isEmpty ? [] : [[.substring(slot, texts[Int(k)])]]
            case .pathPrefixes(let l):
                let list = textLists[Int(l)]
                return list.contains(where: \.isEmpty) ? [] : [list.map { .prefix(slot, $0) }]
            case .intCompare(.equal, let v): return [[.int(slot, v)]]
            case .intSet(let set): return [intSets[Int(set)].sorted().map { .int(slot, $0) }]
            default: return []
            }
        default:
            return []
        }
    }

    /// Fields with a handful of values across all events (`fd.typechar = f` holds for almost
    /// every open): filing rules under them would select nearly every event.
    static func fewValues(_ code: FieldCode) -> Bool {
        switch code {
        case .fdTypeChar, .fdType, .evtDir, .evtSource, .evtHostname, .evtCategory, .evtRes, .threadIsMain,
             .containerID, .userUid, .groupGid, .evtIsOpenRead, .evtIsOpenWrite, .evtIsOpenCreate, .evtIsOpenExec,
             .evtFailed, .procIsSidLeader:
            return true
        default:
            return false
        }
    }

    /// Whether checks on `slot` hold when any ancestor passes (see `Check.anyAncestor`): its
    /// field is an ancestor field without index, which `lowerCheck` only slots for such checks.
    private func isAnyAncestor(slot: Int32) -> Bool {
        let s = slots[Int(slot)]
        return s.code.isAncestor && s.field.argument == nil
    }

    /// The cached value of a field slot for the current event. A hit is a compare and a load,
    /// inlined into the caller; only a miss pays for a call (and its frame).
    @inline(__always)
    func value(slot: Int32, _ x: FieldExtractor) -> FastValue {
        let s = Int(slot)
        if stamp[s] != epoch { extract(s, x) }
        return values[s]
    }

    /// Makes sure the cache holds slot `s`'s value for the current event. The checks and the
    /// index then read it in place (`values[s]`): a copy of a value taken out, and its release
    /// after, cost an outlined call each.
    @inline(__always)
    private func fill(_ s: Int, _ x: FieldExtractor) {
        if stamp[s] != epoch { extract(s, x) }
    }

    @inline(never)
    private func extract(_ s: Int, _ x: FieldExtractor) {
        values[s] = plainBuffer[s] ? x.value(codeBuffer[s]) : extractSpecial(s, x)
        stamp[s] = epoch
    }

    /// A slot with an argument, transformers, or a value from another layer: apart from
    /// `extract`, so that the common case's frame holds none of what these need.
    @inline(never)
    private func extractSpecial(_ s: Int, _ x: FieldExtractor) -> FastValue {
        let code = codeBuffer[s]
        if metadataBuffer[s], let handle = x.entry?.container { return x.metadataValue(code, argument: nil, handle: handle) }
        // Container metadata without a handle (rule tests, replay) is answered by the
        // context's extraField hook, which needs the field; with no hook it is missing
        // either way, and the field is not copied for nothing.
        let hooked = (code == .external || (code.isContainerMetadata && x.entry?.container == nil)) && x.context.extraField != nil
        let raw = hooked
            ? x.value(code, argument: slotArguments[s], field: slots[s].field)
            : x.value(code, argument: slotArguments[s], field: nil)
        return slotTransforms[s].isEmpty ? raw : Self.transform(raw, slotTransforms[s], x)
    }

    /// A value under `transforms` (innermost first), as the reference evaluator computes it,
    /// with text results in the extractor's per-event arena.
    static func transform(_ value: FastValue, _ transforms: [FieldTransformer], _ x: FieldExtractor) -> FastValue {
        var v = value
        for t in transforms {
            if case .missing = v { return .missing }
            if t == .len {
                v = v.withText { .int(Int64($0.count)) } ?? .missing
                continue
            }
            if t == .basename, case .record(let b) = v {
                var start = b.count
                while start > 0 && b[start - 1] != 47 { start -= 1 }
                v = .record(UnsafeRawBufferPointer(rebasing: b[start...]))
                continue
            }
            v = v.withText { b -> FastValue in
                var start = 0
                if t == .basename {
                    start = b.count
                    while start > 0 && b[start - 1] != 47 { start -= 1 }
                }
                let room = x.scratch(b.count - start)
                for i in start..<b.count {
                    let c = b[i]
                    switch t {
                    case .tolower: room[i - start] = c >= 65 && c <= 90 ? c + 32 : c
                    case .toupper: room[i - start] = c >= 97 && c <= 122 ? c - 32 : c
                    default: room[i - start] = c
                    }
                }
                return .record(UnsafeRawBufferPointer(room))
            } ?? .missing
        }
        return v
    }

    /// Sets in `out` (a bitmap over rule indices) the rules of `index` that may match this
    /// event. Text fields: one hash for exact values, one trie walk each for prefixes and
    /// suffixes, stopping where no indexed key continues.
    func candidates(_ index: RuleIndex, _ x: FieldExtractor, into out: UnsafeMutableBufferPointer<UInt64>) {
        index.markAlways(in: out)
        // The fields are read in place: a copy of each (80 bytes) per event showed in profiles.
        guard let texts = index.texts.baseAddress else { return candidatesBeyondTexts(index, x, into: out) }
        for i in 0..<index.texts.count {
            let t = texts + i
            if t.pointee.guards.start >= 0 && !guardsHold(t.pointee.guards, index, x) { continue }
            if t.pointee.recordText != .none, let b = x.recordText(t.pointee.recordText) {
                look(up: b, t, index, into: out)
                continue
            }
            let slot = Int(t.pointee.slot)
            fill(slot, x)
            _ = values[slot].withText { look(up: $0, t, index, into: out) }
        }
        candidatesBeyondTexts(index, x, into: out)
    }

    /// `candidates` for the any-ancestor text fields and the integer fields.
    @inline(__always)
    private func candidatesBeyondTexts(_ index: RuleIndex, _ x: FieldExtractor, into out: UnsafeMutableBufferPointer<UInt64>) {
        for t in index.ancestorTexts where t.guards.start < 0 || guardsHold(t.guards, index, x) {
            ancestorCandidates(t, index, x, into: out)
        }
        for i in index.ints where i.guards.start < 0 || guardsHold(i.guards, index, x) {
            if case .int(let v) = value(slot: i.slot, x) { index.lookup(i.table, Int(truncatingIfNeeded: v), into: out) }
        }
    }

    /// A guard node for this event. Most are one check on a number or flag of the record,
    /// answered straight from it: the value cache and the node walk cost more than the value.
    @inline(__always)
    private func guardHolds(_ g: Int32, _ x: FieldExtractor) -> Bool {
        guard case .check(let c) = nodeBuffer[Int(g)] else { return eval(g, x) }
        let check = checkBuffer[Int(c)]
        if case .eventTypes(let mask) = check.test { return mask & (1 << UInt64(x.eventType.index)) != 0 }
        return test(check.test, x.value(codeBuffer[Int(check.slot)]))
    }

    @inline(__always)
    private func guardsHold(_ guards: RuleIndex.Guards, _ index: RuleIndex, _ x: FieldExtractor) -> Bool {
        guards.onlyFacts ? x.recordFacts.rawValue & guards.mask == guards.expected : someGuardsHold(guards, index, x)
    }

    /// Whether every guard of some list in `guards` holds for this event.
    @inline(never)
    private func someGuardsHold(_ guards: RuleIndex.Guards, _ index: RuleIndex, _ x: FieldExtractor) -> Bool {
        var k = Int(guards.start)
        let end = Int(guards.end)
        var facts: UInt32 = 0
        var factsKnown = false
        while k < end {
            if index.guardNodes[k] < 0 {
                if !factsKnown {
                    facts = x.recordFacts.rawValue
                    factsKnown = true
                }
                let mask = UInt32(bitPattern: index.guardNodes[k + 1])
                if facts & mask == UInt32(bitPattern: index.guardNodes[k + 2]) { return true }
                k += 3
                continue
            }
            let count = Int(index.guardNodes[k])
            var j = 1
            while j <= count && guardHolds(index.guardNodes[k + j], x) { j += 1 }
            if j > count { return true }
            k += count + 1
        }
        return false
    }

    /// `candidates` for an any-ancestor field: each ancestor the check itself would try
    /// (generation 1 up, to the first missing) is looked up.
    @inline(never)
    private func ancestorCandidates(_ t: RuleIndex.TextField, _ index: RuleIndex, _ x: FieldExtractor,
                                    into out: UnsafeMutableBufferPointer<UInt64>) {
        let code = codeBuffer[Int(t.slot)]
        var generation = 1
        while generation <= 64 {
            let v = x.ancestorValue(code, index: generation)
            if case .missing = v { return }
            _ = withUnsafePointer(to: t) { p in v.withText { look(up: $0, p, index, into: out) } }
            generation += 1
        }
    }

    /// Marks the rules of text field `t` that value `b` can select: its exact values, its
    /// prefixes, suffixes and substrings.
    @inline(__always)
    private func look(up b: UnsafeRawBufferPointer, _ field: UnsafePointer<RuleIndex.TextField>, _ index: RuleIndex,
                      into out: UnsafeMutableBufferPointer<UInt64>) {
        let t = field
        if t.pointee.exactLengths & RuleIndex.lengthBit(b.count) != 0 { index.lookup(t.pointee.exact, ByteSet.hash(b), into: out) }
        if t.pointee.prefixRoot >= 0 && index.pairMayMatch(t.pointee.prefixPairs, b, reversed: false) {
            index.walk(t.pointee.prefixRoot, b, reversed: false, into: out)
        }
        if t.pointee.suffixRoot >= 0 && index.pairMayMatch(t.pointee.suffixPairs, b, reversed: true) {
            index.walk(t.pointee.suffixRoot, b, reversed: true, into: out)
        }
        if t.pointee.substringRoot >= 0 { index.walkFromEveryOffset(t, b, into: out) }
    }

    /// Whether rule `rule` of bucket `index` matches (its condition as folded for the bucket).
    func matches(rule: Int, in index: RuleIndex, _ x: FieldExtractor) -> Bool {
        let root = index.roots[rule]
        return root >= 0 && eval(root, x)
    }

    private func eval(_ n: Int32, _ x: FieldExtractor) -> Bool {
        let i = Int(n)
        guard nodeShared[i] else { return evalNode(n, x) }
        if nodeStamp[i] == epoch { return nodeResult[i] }
        let r = evalNode(n, x)
        nodeResult[i] = r
        nodeStamp[i] = epoch
        return r
    }

    private func evalNode(_ n: Int32, _ x: FieldExtractor) -> Bool {
        switch nodeBuffer[Int(n)] {
        case .constant(let b): return b
        case .not(let inner): return !eval(inner, x)
        case .and(let first, let count):
            for i in first..<(first + count) where !eval(childBuffer[Int(i)], x) { return false }
            return true
        case .or(let first, let count):
            for i in first..<(first + count) where eval(childBuffer[Int(i)], x) { return true }
            return false
        case .check(let c): return evalCheck(checkBuffer[Int(c)], x)
        }
    }

    private func evalCheck(_ c: Check, _ x: FieldExtractor) -> Bool {
        if case .reference(let i) = c.test {
            return ReferenceEvaluator.evaluate(references[Int(i)], on: x.fields)
        }
        if case .eventTypes(let mask) = c.test {
            return mask & (1 << UInt64(x.eventType.index)) != 0
        }
        let s = Int(c.slot)
        if c.anyAncestor {
            var i = 1
            while i <= 64 {
                let v = x.ancestorValue(codeBuffer[s], index: i)
                if case .missing = v { return false }
                if test(c.test, v) { return true }
                i += 1
            }
            return false
        }
        // Only fields another layer answers need the resolved field itself; `value(slot:)`
        // skips copying it for the others (a copy retains everything a field holds).
        fill(s, x)
        return test(c.test, values[s])
    }

    @inline(__always)
    private func test(_ t: Test, _ v: FastValue) -> Bool {
        if case .missing = v { return false }
        switch t {
        case .exists: return true
        case .intCompare(let op, let k):
            guard case .int(let i) = v else { return false }
            switch op {
            case .equal: return i == k
            case .notEqual: return i != k
            case .less: return i < k
            case .lessOrEqual: return i <= k
            case .greater: return i > k
            default: return i >= k
            }
        case .intSet(let set):
            guard case .int(let i) = v else { return false }
            return intSets[Int(set)].contains(i)
        case .boolCompare(let op, let k):
            guard case .bool(let b) = v else { return false }
            return op == .equal ? b == k : b != k
        case .textCompare(let op, let k):
            return v.withText { b in
                let order = Self.order(b, textBytes[Int(k)])
                switch op {
                case .equal: return order == 0
                case .notEqual: return order != 0
                case .less: return order < 0
                case .lessOrEqual: return order <= 0
                case .greater: return order > 0
                default: return order >= 0
                }
            } ?? false
        case .textSet(let set): return v.withText { byteSets[Int(set)].contains($0) } ?? false
        case .contains(let k, let anchor): return v.withText { ByteSearch.contains($0, textBytes[Int(k)], anchor: Int(anchor)) } ?? false
        case .icontains(let k): return v.withText { ByteSearch.containsIgnoringCase($0, textBytes[Int(k)]) } ?? false
        case .startsWith(let k): return v.withText { ByteSearch.hasPrefix($0, textBytes[Int(k)]) } ?? false
        case .endsWith(let k): return v.withText { ByteSearch.hasSuffix($0, textBytes[Int(k)]) } ?? false
        case .glob(let k): return v.withText { Glob.matches(texts[Int(k)], $0) } ?? false
        case .pathPrefixes(let l):
            return v.withText { b in textLists[Int(l)].contains { ByteSearch.pathHasPrefix(b, $0) } } ?? false
        case .eventTypes, .reference: return false
        }
    }

    static func order(_ a: UnsafeRawBufferPointer, _ bb: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, bb.count)
        if n > 0, let pa = a.baseAddress, let pb = bb.baseAddress {
            let r = memcmp(pa, pb, n)
            if r != 0 { return r < 0 ? -1 : 1 }
        }
        return a.count == bb.count ? 0 : (a.count < bb.count ? -1 : 1)
    }

    static func order(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
        b.withUnsafeBytes { bb in
            let n = min(a.count, bb.count)
            if n > 0, let pa = a.baseAddress, let pb = bb.baseAddress {
                let r = memcmp(pa, pb, n)
                if r != 0 { return r < 0 ? -1 : 1 }
            }
            return a.count == bb.count ? 0 : (a.count < bb.count ? -1 : 1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
