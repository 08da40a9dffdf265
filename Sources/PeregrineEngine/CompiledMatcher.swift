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
        case contains(Int32)
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
    private var nodeShared: UnsafeMutablePointer<Bool>
    private var nodeStamp: UnsafeMutablePointer<UInt64>
    private var nodeResult: UnsafeMutablePointer<Bool>

    init(rules: RuleSet) {
        values = .allocate(capacity: 1)
        stamp = .allocate(capacity: 1)
        nodeBuffer = .allocate(capacity: 1)
        childBuffer = .allocate(capacity: 1)
        checkBuffer = .allocate(capacity: 1)
        codeBuffer = .allocate(capacity: 1)
        nodeShared = .allocate(capacity: 1)
        nodeStamp = .allocate(capacity: 1)
        nodeResult = .allocate(capacity: 1)
        for rule in rules.rules {
            if let c = rule.condition, rule.isEnabled { roots.append(lower(c)) } else { roots.append(-1) }
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
        nodeShared = Self.buffer((0..<nodes.count).map { sharedNodes.contains(Int32($0)) })
        nodeStamp = Self.buffer(Array(repeating: UInt64(0), count: nodes.count))
        nodeResult = Self.buffer(Array(repeating: false, count: nodes.count))
        nodeByCondition = [:]
    }

    deinit { freeBuffers() }

    private func freeBuffers() {
        values.deinitialize(count: initializedValues)
        values.deallocate()
        stamp.deallocate()
        nodeBuffer.deallocate()
        childBuffer.deallocate()
        checkBuffer.deallocate()
        codeBuffer.deallocate()
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
    private var nodeByCondition: [CompiledCondition: Int32] = [:]
    private var sharedNodes: Set<Int32> = []

    private func lower(_ c: CompiledCondition) -> Int32 {
        if let existing = nodeByCondition[c] {
            sharedNodes.insert(existing)
            return existing
        }
        let n = lowerNew(c)
        nodeByCondition[c] = n
        return n
    }

    private func lowerNew(_ c: CompiledCondition) -> Int32 {
        switch c {
        case .constant(let b):
            return add(.constant(b))
        case .not(let x):
            let inner = lower(x)
            return add(.not(inner))
        case .and(let xs), .or(let xs):
            let lowered = xs.map { lower($0) }
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
            case .contains, .bcontains: return check(.contains(addText(bytes)))
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
    func index(for rules: [Int]) -> RuleIndex {
        var options: [Int: [[RuleIndex.Key]]] = [:]
        var frequency: [RuleIndex.Key: Int] = [:]
        for rule in rules {
            let root = roots[rule]
            guard root >= 0 else { continue }
            let found = requiredKeySets(root)
            options[rule] = found
            for keys in found { for k in Set(keys) { frequency[k, default: 0] += 1 } }
        }
        var index = RuleIndex()
        for rule in rules {
            // The set whose keys, together, select the fewest rules.
            let best = options[rule]?.min { a, b in
                a.reduce(0) { $0 + frequency[$1, default: 0] } < b.reduce(0) { $0 + frequency[$1, default: 0] }
            }
            guard let keys = best, !keys.isEmpty else {
                index.addAlways(rule)
                continue
            }
            for k in keys { index.add(rule: rule, key: k) }
        }
        index.freeze()
        return index
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
            guard !check.anyAncestor, check.slot >= 0, !Self.fewValues(codeBuffer[Int(check.slot)]) else { return [] }
            let slot = check.slot
            switch check.test {
            case .textCompare(.equal, let k): return [[.exact(slot, texts[Int(k)])]]
            case .textSet(let set): return [byteSets[Int(set)].members.map { .exact(slot, $0) }]
            case .startsWith(let k): return texts[Int(k)].isEmpty ? [] : [[.prefix(slot, texts[Int(k)])]]
            case .endsWith(let k): return texts[Int(k)].isEmpty ? [] : [[.suffix(slot, texts[Int(k)])]]
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

    /// The cached value of a field slot for the current event.
    func value(slot: Int32, _ x: FieldExtractor) -> FastValue {
        let s = Int(slot)
        if stamp[s] != epoch {
            let code = codeBuffer[s]
            let v = code == .external
                ? x.value(code, argument: slotArguments[s], field: slots[s].field)
                : x.value(code, argument: slotArguments[s], field: nil)
            values[s] = slotTransforms[s].isEmpty ? v : Self.transform(v, slotTransforms[s], x)
            stamp[s] = epoch
        }
        return values[s]
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

    /// Appends to `out` the rules of `index` that may match this event (unsorted).
    func candidates(_ index: RuleIndex, _ x: FieldExtractor, into out: inout [Int]) {
        out.append(contentsOf: index.always)
        // Indexing in place (no `for t in`): copying an entry would retain every table in it.
        let texts = index.frozenTexts
        for i in texts.indices {
            _ = value(slot: texts[i].slot, x).withText { b in
                if !texts[i].exact.isEmpty { texts[i].exact.append(ByteSet.hash(b), to: &out) }
                // One running hash over the value serves every prefix length (sorted), and one
                // from the end every suffix length.
                if !texts[i].prefixLengths.isEmpty {
                    var h = RuleIndex.fnvOffset
                    var next = 0
                    let lengths = texts[i].prefixLengths
                    var n = 0
                    while next < lengths.count && lengths[next] <= b.count {
                        while n < lengths[next] {
                            h = (h ^ UInt64(b[n])) &* RuleIndex.fnvPrime
                            n += 1
                        }
                        texts[i].prefixes.append(RuleIndex.key(runningHash: h, length: n), to: &out)
                        next += 1
                    }
                }
                if !texts[i].suffixLengths.isEmpty {
                    var h = RuleIndex.fnvOffset
                    var next = 0
                    let lengths = texts[i].suffixLengths
                    var n = 0
                    while next < lengths.count && lengths[next] <= b.count {
                        while n < lengths[next] {
                            h = (h ^ UInt64(b[b.count - 1 - n])) &* RuleIndex.fnvPrime
                            n += 1
                        }
                        texts[i].suffixes.append(RuleIndex.key(runningHash: h, length: n), to: &out)
                        next += 1
                    }
                }
            }
        }
        for i in index.ints {
            if case .int(let v) = value(slot: i.slot, x), let rules = i.values[v] { out.append(contentsOf: rules) }
        }
    }

    func matches(rule index: Int, _ x: FieldExtractor) -> Bool {
        let root = roots[index]
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
        return test(c.test, value(slot: c.slot, x))
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
                let order = Self.order(b, texts[Int(k)])
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
        case .contains(let k): return v.withText { ByteSearch.contains($0, texts[Int(k)]) } ?? false
        case .icontains(let k): return v.withText { ByteSearch.containsIgnoringCase($0, texts[Int(k)]) } ?? false
        case .startsWith(let k): return v.withText { ByteSearch.hasPrefix($0, texts[Int(k)]) } ?? false
        case .endsWith(let k): return v.withText { ByteSearch.hasSuffix($0, texts[Int(k)]) } ?? false
        case .glob(let k): return v.withText { Glob.matches(texts[Int(k)], $0) } ?? false
        case .pathPrefixes(let l):
            return v.withText { b in textLists[Int(l)].contains { ByteSearch.pathHasPrefix(b, $0) } } ?? false
        case .eventTypes, .reference: return false
        }
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
