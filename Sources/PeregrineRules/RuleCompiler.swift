extension Diagnostic.Code {
    public static let unknownField = Diagnostic.Code("PR310", .error)
    public static let badArgument = Diagnostic.Code("PR311", .error)
    public static let undefinedMacro = Diagnostic.Code("PR312", .error)
    public static let macroLoop = Diagnostic.Code("PR313", .error)
    public static let unknownList = Diagnostic.Code("PR314", .error)
    public static let badValue = Diagnostic.Code("PR315", .error)
    public static let operatorType = Diagnostic.Code("PR316", .error)
    public static let invalidRegex = Diagnostic.Code("PR317", .error)
    public static let comparesWithNA = Diagnostic.Code("PR318", .warning)
    public static let unusedList = Diagnostic.Code("PR319", .warning)
    public static let unusedMacro = Diagnostic.Code("PR320", .warning)
    public static let badExceptionShape = Diagnostic.Code("PR321", .error)
    public static let unknownEventType = Diagnostic.Code("PR322", .warning)
    public static let expandedTooDeep = Diagnostic.Code("PR323", .error)
    public static let transformerArguments = Diagnostic.Code("PR324", .error)
    public static let unsupportedEventTypes = Diagnostic.Code("PR400", .warning)
    public static let noEventTypeFilter = Diagnostic.Code("PR401", .warning)
    public static let otherSource = Diagnostic.Code("PR402", .note)
    public static let unsuppliedFields = Diagnostic.Code("PR403", .warning)
    public static let skippedUnknownField = Diagnostic.Code("PR404", .warning)
    public static let outputField = Diagnostic.Code("PR500", .error)
    public static let strayPercent = Diagnostic.Code("PR501", .error)
    public static let deprecatedContainerInfo = Diagnostic.Code("PR502", .warning)
}

/// Stage three of loading: lists expanded, macros parsed and inlined, fields resolved, constants
/// typed, exceptions appended, event types inferred, outputs parsed.
struct RuleCompiler {
    let catalog: FieldCatalog
    let supported: Set<String>
    let collector: RuleCollector
    let quietFiles: Set<String>

    var diagnostics: [Diagnostic] = []
    var expandedLists: [String: [String]] = [:]
    var parsedMacros: [String: ConditionExpr?] = [:]
    var compiledMacros: [String: CompiledCondition?] = [:]
    var macroStack: [String] = []
    /// Direct references per macro, and from all compiled rules, for unused warnings.
    var macroRefs: [String: Set<String>] = [:]
    var listRefs: [String: Set<String>] = [:]
    var rootMacros: Set<String> = []
    var rootLists: Set<String> = []
    /// Set when a condition did not parse: its references are unknown, so "unused" would be guesswork.
    var someConditionUnparsed = false
    /// Nesting of the condition being compiled, macros included; bounded like the parser's.
    var depth = 0
    static let maxExpandedDepth = 2000
    var reportedTooDeep = false
    /// Unknown field met while compiling a rule with skip-if-unknown-filter.
    var skippedField: String?

    /// Where diagnostics for the condition being compiled go.
    struct Context {
        var text: ComposedText?
        var file: SourceFile?
        var line = 1, column = 1
        var visibility: Int
        var owner: String?   // macro name, nil for rules
        var skipUnknown = false
    }

    init(catalog: FieldCatalog, supported: Set<String>, collector: RuleCollector, quietFiles: Set<String>) {
        self.catalog = catalog
        self.supported = supported
        self.collector = collector
        self.quietFiles = quietFiles
    }

    mutating func report(_ ctx: Context, _ code: Diagnostic.Code, _ message: String, _ offset: Int, hint: String? = nil) {
        if let t = ctx.text {
            diagnostics.append(t.diagnostic(code, message, offset: offset, hint: hint))
        } else if let f = ctx.file {
            diagnostics.append(f.diagnostic(code, message, line: ctx.line, column: ctx.column, hint: hint))
        }
    }

    // MARK: lists

    mutating func expandLists() {
        let order = collector.lists.sorted { $0.index < $1.index }
        for l in order {
            var out: [String] = []
            for item in l.items {
                if let j = collector.listByName[item], collector.lists[j].index < l.visibility, let sub = expandedLists[item] {
                    out += sub
                    listRefs[l.name, default: []].insert(item)
                } else {
                    out.append(item)
                }
            }
            expandedLists[l.name] = out
        }
    }

    // MARK: macros

    mutating func macro(_ name: String) -> CompiledCondition? {
        if let done = compiledMacros[name] { return done }
        guard let i = collector.macroByName[name] else { return nil }
        let def = collector.macros[i]
        let text = ComposedText(def.parts)
        var ctx = Context(text: text, visibility: def.visibility, owner: name)
        ctx.file = def.file
        let parsed: ConditionExpr?
        if let p = parsedMacros[name] { parsed = p } else {
            parsed = parse(text)
            parsedMacros[name] = parsed
        }
        guard let parsed else { compiledMacros[name] = .some(nil); return nil }
        macroStack.append(name)
        let c = compile(parsed, ctx)
        macroStack.removeLast()
        compiledMacros[name] = .some(c)
        return c
    }

    mutating func parse(_ text: ComposedText) -> ConditionExpr? {
        switch ConditionParser.parse(text.text) {
        case .success(let e): return e
        case .failure(let err):
            someConditionUnparsed = true
            diagnostics.append(text.diagnostic(err.code, err.message, offset: err.offset, hint: err.hint))
            return nil
        }
    }

    // MARK: conditions

    mutating func compile(_ e: ConditionExpr, _ ctx: Context) -> CompiledCondition? {
        depth += 1
        defer { depth -= 1 }
        if depth == 1 { reportedTooDeep = false }
        if depth > Self.maxExpandedDepth {
            if !reportedTooDeep {
                reportedTooDeep = true
                report(ctx, .expandedTooDeep, "condition nests deeper than \(Self.maxExpandedDepth) levels once macros are expanded", e.offset,
                       hint: "flatten the chain of macros")
            }
            return nil
        }
        switch e {
        case .and(let xs, _):
            let cs = xs.map { compile($0, ctx) }
            return cs.contains { $0 == nil } ? nil : .and(cs.map { $0! })
        case .or(let xs, _):
            let cs = xs.map { compile($0, ctx) }
            return cs.contains { $0 == nil } ? nil : .or(cs.map { $0! })
        case .not(let x, _):
            return compile(x, ctx).map { .not($0) }
        case .macro(let name, let offset):
            return macroReference(name, offset, ctx)
        case .check(let c):
            return compileCheck(c, ctx)
        }
    }

    mutating func macroReference(_ name: String, _ offset: Int, _ ctx: Context) -> CompiledCondition? {
        guard let i = collector.macroByName[name], collector.macros[i].index < ctx.visibility else {
            if collector.listByName[name] != nil {
                report(ctx, .undefinedMacro, "'\(name)' is a list, not a macro", offset, hint: "use it as a value: 'field in (\(name))'")
            } else if collector.macroByName[name] != nil {
                report(ctx, .undefinedMacro, "macro '\(name)' is used before it is defined", offset,
                       hint: "move the definition of '\(name)' above '\(ctx.owner ?? "")'")
            } else {
                let near = diagnostics.count < 200 ? collector.macros.map(\.name).min { EditDistance.between(name, $0) < EditDistance.between(name, $1) } : nil
                let hint = near.flatMap { EditDistance.between(name, $0) <= max(2, name.count / 3) ? "did you mean '\($0)'?" : nil }
                report(ctx, .undefinedMacro, "undefined macro '\(name)'", offset, hint: hint ?? "define it with '- macro: \(name)'")
            }
            return nil
        }
        if let owner = ctx.owner { macroRefs[owner, default: []].insert(name) } else { rootMacros.insert(name) }
        if let at = macroStack.firstIndex(of: name) {
            let loop = (macroStack[at...] + [name]).joined(separator: " -> ")
            report(ctx, .macroLoop, "macros refer to each other in a loop: \(loop)", offset, hint: "break the loop")
            return nil
        }
        return macro(name)
    }

    mutating func noteList(_ name: String, _ ctx: Context) {
        if let owner = ctx.owner { listRefs["macro:" + owner, default: []].insert(name) } else { rootLists.insert(name) }
    }

    /// Resolves a written field against the catalogue, checking its argument.
    mutating func resolve(_ ref: ConditionExpr.FieldRef, _ ctx: Context, code: Diagnostic.Code = .unknownField) -> ResolvedField? {
        guard let (info, dotted) = catalog.lookup(ref.name) else {
            if ctx.skipUnknown {
                if skippedField == nil { skippedField = ref.name }
                return nil
            }
            // Suggestions cost a scan of the catalogue; a flood of mistakes gets them only at first.
            let near = diagnostics.count < 200 ? catalog.nearest(to: ref.name) : nil
            let hint = near.map { "did you mean '\($0)'?" } ?? "see 'peregrine fields' for the known fields"
            report(ctx, code, "unknown field '\(ref.name)'", ref.offset, hint: hint)
            return nil
        }
        if dotted != nil && ref.argument != nil {
            report(ctx, .badArgument, "field '\(ref)' has two arguments", ref.offset)
            return nil
        }
        let arg = dotted ?? ref.argument
        switch info.argument {
        case .none:
            if arg != nil {
                report(ctx, .badArgument, "field '\(info.name)' takes no argument", ref.offset, hint: "remove '[\(arg!)]'")
                return nil
            }
            return ResolvedField(info: info)
        case .optionalIndex, .requiredIndex:
            guard let arg else {
                if info.argument == .requiredIndex {
                    report(ctx, .badArgument, "field '\(info.name)' needs an index, like \(info.name)[1]", ref.offset)
                    return nil
                }
                return ResolvedField(info: info)
            }
            guard let n = Int(arg), n >= 0 else {
                report(ctx, .badArgument, "the argument of '\(info.name)' must be a number, not '\(arg)'", ref.offset,
                       hint: "write \(info.name)[1] for the parent, [2] for the grandparent")
                return nil
            }
            return ResolvedField(info: info, argument: .index(n))
        case .optionalKey, .requiredKey:
            guard let arg else {
                if info.argument == .requiredKey {
                    report(ctx, .badArgument, "field '\(info.name)' needs an argument, like \(info.name)[name]", ref.offset)
                    return nil
                }
                return ResolvedField(info: info)
            }
            return ResolvedField(info: info, argument: .key(arg))
        case .indexOrKey:
            guard let arg, !arg.isEmpty else {
                report(ctx, .badArgument, "field '\(info.name)' needs an argument, like \(info.name)[1]", ref.offset)
                return nil
            }
            if let n = Int(arg), n >= 0 { return ResolvedField(info: info, argument: .index(n)) }
            return ResolvedField(info: info, argument: .key(arg))
        }
    }

    mutating func resolve(_ operand: ConditionExpr.Operand, _ ctx: Context, code: Diagnostic.Code = .unknownField) -> CompiledOperand? {
        switch operand {
        case .field(let ref):
            return resolve(ref, ctx, code: code).map { .field($0) }
        case .transformed(let t, let inner, let offset):
            guard let i = resolve(inner, ctx, code: code) else { return nil }
            if t != .len && i.type != .string && i.type != .bytes {
                report(ctx, .operatorType, "'\(t.rawValue)' needs a text field, but '\(i)' is \(i.type.rawValue)", offset)
                return nil
            }
            return .transformed(t, i)
        case .text(let s, _):
            return .text(s)
        case .list(let items, _):
            var out: [CompiledOperand] = []
            for item in items { if let o = resolve(item, ctx, code: code) { out.append(o) } }
            return out.count == items.count ? .list(out) : nil
        case .combined(let t, let args, let offset):
            var out: [CompiledOperand] = []
            for a in args { if let o = resolve(a, ctx, code: code) { out.append(o) } }
            guard out.count == args.count else { return nil }
            return checkArguments(t, out, args, ctx, offset) ? .combined(t, out) : nil
        }
    }

    /// The argument rules of `join` and `concat`, as libsinsp enforces them.
    mutating func checkArguments(_ t: FieldTransformer, _ args: [CompiledOperand], _ written: [ConditionExpr.Operand],
                                 _ ctx: Context, _ offset: Int) -> Bool {
        if t == .join {
            guard args.count == 2 else {
                report(ctx, .transformerArguments, "join() needs exactly 2 arguments, a separator and a list, but has \(args.count)", offset,
                       hint: "write join(\"-\", (fd.directory, fd.name))")
                return false
            }
            if args[0].isMultiValued {
                report(ctx, .transformerArguments, "the separator of join() must be a single value, but '\(args[0])' is a list", written[0].offset)
                return false
            }
            if !args[1].isMultiValued {
                report(ctx, .transformerArguments, "the second argument of join() must be a list, but '\(args[1])' is a single value", written[1].offset,
                       hint: "write a list such as (\(args[1]), ...) or use concat()")
                return false
            }
            return true
        }
        guard args.count >= 2 else {
            report(ctx, .transformerArguments, "concat() needs at least 2 arguments, but has \(args.count)", offset,
                   hint: "write concat(proc.name, \":\", user.name)")
            return false
        }
        for (a, w) in zip(args, written) where a.isMultiValued || a.type != .string {
            let what = a.isMultiValued ? "a list" : a.type.rawValue
            report(ctx, .transformerArguments, "the arguments of concat() must be single text values, but '\(a)' is \(what)", w.offset,
                   hint: a.isMultiValued ? "use join() to combine the values of a list" : nil)
            return false
        }
        return true
    }

    /// Types a written value for an operand, or reports why it cannot be.
    mutating func constant(_ text: String, for operand: CompiledOperand, op: ComparisonOperator, _ ctx: Context, _ offset: Int) -> Constant? {
        if text == "<NA>" {
            report(ctx, .comparesWithNA, "comparing '\(operand)' with \"<NA>\" never matches: a missing field makes the check false", offset,
                   hint: "use 'not \(operand) exists' to test for a missing value")
        }
        if op == .bcontains || op == .bstartswith {
            var out: [UInt8] = []
            let hex = Array(text.utf8)
            func nib(_ c: UInt8) -> UInt8? {
                switch c { case 48...57: c - 48; case 97...102: c - 87; case 65...70: c - 55; default: nil }
            }
            var ok = hex.count % 2 == 0
            var i = 0
            while ok && i < hex.count {
                if let a = nib(hex[i]), let b = nib(hex[i + 1]) { out.append(a << 4 | b) } else { ok = false }
                i += 2
            }
            guard ok else {
                report(ctx, .badValue, "'\(op.rawValue)' needs hexadecimal bytes, not '\(text)'", offset, hint: "write bytes as hex pairs, e.g. 7f454c46")
                return nil
            }
            return .bytes(out)
        }
        let type = operand.type
        if type.isNumeric && !op.isTextOnly {
            if let n = Self.integer(text) { return n }
            report(ctx, .badValue, "'\(text)' is not a number, but '\(operand)' is \(type.rawValue)", offset)
            return nil
        }
        if type == .bool && !op.isTextOnly {
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                report(ctx, .badValue, "'\(operand)' is a boolean; compare it with true or false, not '\(text)'", offset)
                return nil
            }
        }
        return .string(text)
    }

    static func integer(_ text: String) -> Constant? {
        var t = Substring(text)
        var negative = false
        if t.hasPrefix("-") { negative = true; t = t.dropFirst() } else if t.hasPrefix("+") { t = t.dropFirst() }
        var value: UInt64?
        if t.hasPrefix("0x") || t.hasPrefix("0X") { value = UInt64(t.dropFirst(2), radix: 16) } else { value = UInt64(t) }
        guard let v = value else { return nil }
        if negative {
            guard v <= UInt64(Int64.max) + 1 else { return nil }
            return .int(v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v))
        }
        return v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v)
    }

    mutating func compileCheck(_ c: ConditionExpr.Check, _ ctx: Context) -> CompiledCondition? {
        guard let lhs = resolve(c.lhs, ctx) else {
            // Still look at the value so its own mistakes are reported.
            if case .operand(let o) = c.value { _ = resolve(o, ctx) }
            return nil
        }
        let type = lhs.type
        if c.op.isTextOnly && type != .string && type != .bytes && !(c.op == .pmatch && type == .string) {
            report(ctx, .operatorType, "operator '\(c.op.rawValue)' needs a text field, but '\(lhs)' is \(type.rawValue)", c.operatorOffset,
                   hint: type.isNumeric ? "use =, !=, <, <=, >, >= or in" : "use = or !=")
            return nil
        }
        if c.op.isOrdering && type == .bool {
            report(ctx, .operatorType, "operator '\(c.op.rawValue)' cannot compare booleans", c.operatorOffset, hint: "use = or !=")
            return nil
        }
        if let m = c.modifier {
            return compileModified(c, m, lhs, ctx)
        }
        let value: CompiledValue
        switch c.value {
        case .none:
            value = .none
        case .operand(let o):
            guard let rhs = resolve(o, ctx) else { return nil }
            value = .operand(rhs)
        case .literal(let l):
            if c.op == .regex {
                do { value = .regex(try CompiledRegex(l.text)) } catch {
                    report(ctx, .invalidRegex, "invalid regular expression '\(l.text)'", l.offset, hint: "\(error)")
                    return nil
                }
            } else {
                guard let k = constant(l.text, for: lhs, op: c.op, ctx, l.offset) else { return nil }
                value = .constant(k)
            }
        case .list(let items, _):
            var texts: [(String, Int)] = []
            for item in items {
                if !item.quoted, let expanded = expandedLists[item.text] {
                    noteList(item.text, ctx)
                    texts += expanded.map { ($0, item.offset) }
                } else {
                    texts.append((item.text, item.offset))
                }
            }
            guard let v = listValue(texts, lhs, c.op, ctx) else { return nil }
            value = v
        case .listName(let name, let offset):
            guard let expanded = expandedLists[name] else {
                let near = collector.lists.map(\.name).min { EditDistance.between(name, $0) < EditDistance.between(name, $1) }
                let hint = near.flatMap { EditDistance.between(name, $0) <= max(2, name.count / 3) ? "did you mean '\($0)'?" : nil }
                report(ctx, .unknownList, "unknown list '\(name)'", offset, hint: hint ?? "define it with '- list: \(name)' or write '(\(name))' for a single value")
                return nil
            }
            noteList(name, ctx)
            guard let v = listValue(expanded.map { ($0, offset) }, lhs, c.op, ctx) else { return nil }
            value = v
        }
        if case .field(let f) = lhs, f.info.name == "evt.type" || f.info.name == "syscall.type" {
            var names: [String] = []
            if case .constant(.string(let s)) = value { names = [s] }
            if case .set(let xs, _) = value { names = xs.compactMap { if case .string(let s) = $0 { s } else { nil } } }
            for n in names where !EventTypeSet.known.contains(n) {
                let near = EventTypeSet.known.min { EditDistance.between(n, $0) < EditDistance.between(n, $1) }
                let hint = near.flatMap { EditDistance.between(n, $0) <= 2 ? "did you mean '\($0)'?" : nil }
                report(ctx, .unknownEventType, "unknown event type '\(n)'", c.operatorOffset, hint: hint)
            }
        }
        return .check(CompiledCheck(operand: lhs, op: c.op, value: value))
    }

    /// `op oneof/anyof/allof (a, b)`: each item typed (or compiled, for `regex`) for the operator.
    mutating func compileModified(_ c: ConditionExpr.Check, _ m: CheckModifier, _ lhs: CompiledOperand, _ ctx: Context) -> CompiledCondition? {
        guard case .list(let items, _) = c.value else { return nil }
        var texts: [(String, Int)] = []
        for item in items {
            if !item.quoted, let expanded = expandedLists[item.text] {
                noteList(item.text, ctx)
                texts += expanded.map { ($0, item.offset) }
            } else {
                texts.append((item.text, item.offset))
            }
        }
        var ok = true
        let value: CompiledValue
        if c.op == .regex {
            var regexes: [CompiledRegex] = []
            for (t, offset) in texts {
                do { regexes.append(try CompiledRegex(t)) } catch {
                    report(ctx, .invalidRegex, "invalid regular expression '\(t)'", offset, hint: "\(error)")
                    ok = false
                }
            }
            value = .regexes(regexes)
        } else {
            var values: [Constant] = []
            for (t, offset) in texts {
                if let k = constant(t, for: lhs, op: c.op, ctx, offset) { values.append(k) } else { ok = false }
            }
            value = .set(values, Set(values))
        }
        guard ok else { return nil }
        return .check(CompiledCheck(operand: lhs, op: c.op, value: value, modifier: m))
    }

    mutating func listValue(_ texts: [(String, Int)], _ lhs: CompiledOperand, _ op: ComparisonOperator, _ ctx: Context) -> CompiledValue? {
        if op == .pmatch {
            return .pathPrefixes(texts.map { t in
                var s = t.0
                while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
                return s
            })
        }
        var values: [Constant] = []
        var ok = true
        for (t, offset) in texts {
            if let k = constant(t, for: lhs, op: .equal, ctx, offset) { values.append(k) } else { ok = false }
        }
        return ok ? .set(values, Set(values)) : nil
    }

    // MARK: exceptions

    /// Builds `not (...)` for a rule's exceptions; nil on error (reported), `.constant(true)` when none apply.
    mutating func exceptionClauses(_ rule: RuleCollector.RuleDef, _ ctx: Context) -> [CompiledCondition]? {
        var clauses: [CompiledCondition] = []
        var ok = true
        for ex in rule.exceptions {
            var ectx = ctx
            ectx.text = nil
            ectx.file = rule.entry.file
            ectx.line = ex.line
            ectx.column = ex.column
            guard let fieldsSpec = ex.fields else {
                if !ex.values.isEmpty {
                    report(ectx, .badExceptionShape, "exception '\(ex.name)' has values but no 'fields'", 0)
                    ok = false
                }
                continue
            }
            let names: [String]
            let single: Bool
            switch fieldsSpec {
            case .single(let n): names = [n]; single = true
            case .multiple(let ns): names = ns; single = false
            }
            var comps: [ComparisonOperator] = []
            if let given = ex.comps {
                if given.count != names.count {
                    report(ectx, .badExceptionShape, "exception '\(ex.name)' has \(names.count) fields but \(given.count) comps", 0,
                           hint: "give one comparison operator per field")
                    ok = false
                    continue
                }
                for g in given {
                    let op = g.value == "==" ? ComparisonOperator.equal : ComparisonOperator(rawValue: g.value)
                    guard let op, op != .exists else {
                        diagnostics.append(rule.entry.file.diagnostic(.badExceptionShape, "'\(g.value)' is not a comparison operator", line: g.line, column: g.column,
                                                                      hint: "operators: \(ConditionParser.operatorList)"))
                        ok = false
                        continue
                    }
                    comps.append(op)
                }
                if comps.count != names.count { continue }
            } else {
                comps = Array(repeating: single ? .in : .equal, count: names.count)
            }
            var operands: [CompiledOperand] = []
            for n in names {
                var lexer = ConditionLexer(n)
                var parser = ConditionParser(lexer: lexer)
                var parsedOperand: ConditionExpr.Operand?
                if let t = try? parser.parseTransformerOperand(allowVal: false) { parsedOperand = t; lexer = parser.lexer }
                else if let fname = lexer.lexFieldName() {
                    parser = ConditionParser(lexer: lexer)
                    if let f = try? parser.parseFieldArgument(name: fname, start: 0) { parsedOperand = .field(f); lexer = parser.lexer }
                }
                guard let po = parsedOperand, lexer.atEnd else {
                    report(ectx, .unknownField, "'\(n)' in exception '\(ex.name)' is not a field", 0)
                    ok = false
                    continue
                }
                if let o = resolve(po, ectx) { operands.append(o) } else { ok = false }
            }
            guard operands.count == names.count else { continue }
            if single {
                var texts: [(String, Int)] = []
                for row in ex.values {
                    for v in row.value {
                        switch v {
                        case .scalar(let s):
                            if comps[0].takesList, let l = expandedLists[s] { noteList(s, ctx); texts += l.map { ($0, 0) } }
                            else { texts.append((s, 0)) }
                        case .list(let xs): texts += xs.map { ($0, 0) }
                        }
                    }
                }
                if texts.isEmpty { continue }
                let value: CompiledValue?
                if comps[0].takesList { value = listValue(texts, operands[0], comps[0], ectx) }
                else if texts.count == 1, let k = constant(texts[0].0, for: operands[0], op: comps[0], ectx, 0) { value = .constant(k) }
                else {
                    report(ectx, .badExceptionShape, "exception '\(ex.name)' has several values but comp '\(comps[0].rawValue)' takes one", 0,
                           hint: "use 'in' for a list of values")
                    value = nil
                }
                guard let value else { ok = false; continue }
                clauses.append(.check(CompiledCheck(operand: operands[0], op: comps[0], value: value)))
                continue
            }
            var rows: [CompiledCondition] = []
            for row in ex.values {
                var rctx = ectx
                rctx.line = row.line
                rctx.column = row.column
                guard row.value.count == names.count else {
                    report(rctx, .badExceptionShape, "exception '\(ex.name)' value has \(row.value.count) items but there are \(names.count) fields", 0,
                           hint: "give one value per field, in the order of 'fields'")
                    ok = false
                    continue
                }
                var checks: [CompiledCondition] = []
                for (k, cell) in row.value.enumerated() {
                    let op = comps[k]
                    var value: CompiledValue?
                    switch cell {
                    case .list(let xs):
                        value = op.takesList ? listValue(xs.map { ($0, 0) }, operands[k], op, rctx) : nil
                        if !op.takesList {
                            report(rctx, .badExceptionShape, "a list value needs 'in', 'pmatch' or 'intersects', not '\(op.rawValue)'", 0)
                        }
                    case .scalar(let s):
                        if op.takesList {
                            if let l = expandedLists[s] { noteList(s, ctx); value = listValue(l.map { ($0, 0) }, operands[k], op, rctx) }
                            else { value = listValue([(s, 0)], operands[k], op, rctx) }
                        } else if op == .regex {
                            value = try? .regex(CompiledRegex(s))
                        } else {
                            value = constant(s, for: operands[k], op: op, rctx, 0).map { .constant($0) }
                        }
                    }
                    guard let value else { ok = false; continue }
                    checks.append(.check(CompiledCheck(operand: operands[k], op: op, value: value)))
                }
                if checks.count == names.count { rows.append(checks.count == 1 ? checks[0] : .and(checks)) }
            }
            if !rows.isEmpty { clauses.append(rows.count == 1 ? rows[0] : .or(rows)) }
        }
        return ok ? clauses : nil
    }

    // MARK: rules

    mutating func compileRules() -> [CompiledRule] {
        expandLists()
        var out: [CompiledRule] = []
        for def in collector.rules {
            out.append(compileRule(def))
        }
        // Macros no syscall rule reaches are only parsed, as in Falco: their fields are checked
        // when a rule uses them (they may serve rules of another source).
        for m in collector.macros where compiledMacros[m.name] == nil && parsedMacros[m.name] == nil {
            let text = ComposedText(m.parts)
            let parsed = parse(text)
            parsedMacros[m.name] = parsed
            if let parsed { noteReferences(parsed, owner: m.name) }
        }
        reportUnused()
        return out
    }

    mutating func compileRule(_ def: RuleCollector.RuleDef) -> CompiledRule {
        let e = def.entry
        let location = SourceLocation(file: e.file.name, line: e.line, column: e.column)
        var rule = CompiledRule(name: e.name, description: e.description ?? "", priority: e.priority ?? .debug,
                                tags: e.tags ?? [], source: e.source ?? "syscall", location: location,
                                condition: nil, output: nil, eventTypes: nil, status: .invalid,
                                warnEvttypes: e.warnEvttypes ?? true, skipIfUnknownFilter: e.skipIfUnknownFilter ?? false,
                                capture: e.capture ?? false, captureDuration: e.captureDuration)
        if rule.source != "syscall" {
            rule.status = .otherSource(rule.source)
            diagnostics.append(e.file.diagnostic(.otherSource, "rule '\(e.name)' has source '\(rule.source)'; it is kept but not compiled for the syscall engine",
                                                 line: e.line, column: e.column))
            return rule
        }
        guard !def.conditionParts.isEmpty else { return rule }
        let text = ComposedText(def.conditionParts)
        var ctx = Context(text: text, visibility: Int.max, owner: nil)
        ctx.file = e.file
        ctx.skipUnknown = rule.skipIfUnknownFilter
        skippedField = nil
        let parsed = parse(text)
        var condition = parsed.flatMap { compile($0, ctx) }
        let output = compileOutput(def, skipUnknown: rule.skipIfUnknownFilter)
        if let skipped = skippedField {
            rule.status = .skippedUnknownField(skipped)
            diagnostics.append(e.file.diagnostic(.skippedUnknownField, "rule '\(e.name)' is skipped: unknown field '\(skipped)' (skip-if-unknown-filter is set)",
                                                 line: e.line, column: e.column))
            return rule
        }
        let exceptions = exceptionClauses(def, ctx)
        if let c = condition, let ex = exceptions, !ex.isEmpty {
            condition = .and([c, .not(ex.count == 1 ? ex[0] : .or(ex))])
        }
        guard let condition, exceptions != nil, let output, !e.invalid else { return rule }
        rule.condition = condition
        rule.output = output
        let types = EventTypeInference.eventTypes(of: condition, universe: EventTypeSet.known)
        rule.eventTypes = types
        if e.enabled == false {
            rule.status = .disabledByUser
            return rule
        }
        if let types {
            let usable = types.intersection(supported)
            if usable.isEmpty {
                let names = types.sorted()
                rule.status = .unsupportedEventTypes(names)
                let message = names.isEmpty
                    ? "rule '\(e.name)' is disabled: its evt.type checks exclude every event type, so it can never match"
                    : "rule '\(e.name)' is disabled: it needs event types the probe does not produce (\(names.joined(separator: ", ")))"
                diagnostics.append(e.file.diagnostic(.unsupportedEventTypes, message, line: e.line, column: e.column))
                return rule
            }
        }
        if rule.warnEvttypes && (types == nil || types!.count > 100) {
            let what = types == nil ? "does not restrict evt.type, so it runs on every event" : "matches \(types!.count) event types"
            diagnostics.append(e.file.diagnostic(.noEventTypeFilter, "rule '\(e.name)' \(what); this costs performance",
                                                 line: e.line, column: e.column, hint: "add a check such as 'evt.type in (execve, execveat)'"))
        }
        rule.status = .enabled
        let missing = Self.unsuppliedFields(condition).sorted()
        if !missing.isEmpty {
            diagnostics.append(e.file.diagnostic(.unsuppliedFields,
                                                 "rule '\(e.name)' uses fields this engine cannot supply (\(missing.joined(separator: ", "))); they are always missing, so checks on them are false",
                                                 line: e.line, column: e.column))
        }
        return rule
    }

    static func unsuppliedFields(_ c: CompiledCondition) -> Set<String> {
        switch c {
        case .and(let xs), .or(let xs): return xs.reduce(into: Set<String>()) { $0.formUnion(unsuppliedFields($1)) }
        case .not(let x): return unsuppliedFields(x)
        case .constant: return []
        case .check(let k):
            var fields = k.operand.fields
            if case .operand(let o) = k.value { fields += o.fields }
            return Set(fields.filter { !$0.info.supplied }.map(\.info.name))
        }
    }

    mutating func compileOutput(_ def: RuleCollector.RuleDef, skipUnknown: Bool) -> OutputFormat? {
        guard !def.outputParts.isEmpty else { return OutputFormat(segments: []) }
        let text = ComposedText(def.outputParts)
        var ctx = Context(text: text, visibility: Int.max, owner: nil)
        ctx.file = def.entry.file
        ctx.skipUnknown = skipUnknown
        var segments: [OutputFormat.Segment] = []
        var ok = true
        let pieces = OutputFormat.scan(text.text)
        for (n, piece) in pieces.enumerated() {
            switch piece {
            case .text(var t):
                if n == pieces.count - 1 { while let last = t.last, last == " " || last == "\n" || last == "\t" { t.removeLast() } }
                if !t.isEmpty { segments.append(.text(t)) }
            case .reference(let r):
                if case .field(let f) = r.operand, f.name == "container.info", f.argument == nil {
                    // Falco drops this old placeholder: container fields are added by other means.
                    report(ctx, .deprecatedContainerInfo, "%container.info is deprecated and is left out of the output", f.offset,
                           hint: "name the fields instead, e.g. %container.id %container.name")
                    continue
                }
                if let o = resolve(r.operand, ctx, code: .outputField) { segments.append(.field(o, width: r.width)) } else { ok = false }
            case .stray(let offset):
                report(ctx, .strayPercent, "'%' must be followed by a field name", offset, hint: "write '%%' for a percent sign")
                ok = false
            }
        }
        return ok ? OutputFormat(segments: segments) : nil
    }

    /// Records the macros and lists a parsed condition refers to, without compiling it.
    mutating func noteReferences(_ e: ConditionExpr, owner: String) {
        switch e {
        case .and(let xs, _), .or(let xs, _): for x in xs { noteReferences(x, owner: owner) }
        case .not(let x, _): noteReferences(x, owner: owner)
        case .macro(let name, _): macroRefs[owner, default: []].insert(name)
        case .check(let c):
            switch c.value {
            case .listName(let n, _): listRefs["macro:" + owner, default: []].insert(n)
            case .list(let items, _):
                for i in items where !i.quoted && expandedLists[i.text] != nil { listRefs["macro:" + owner, default: []].insert(i.text) }
            default: break
            }
        }
    }

    /// Like Falco: a list or macro is used when any rule or macro (or, for lists, another list)
    /// refers to it.
    mutating func reportUnused() {
        if someConditionUnparsed { return }
        let usedMacros = rootMacros.union(macroRefs.values.joined())
        let usedLists = rootLists.union(listRefs.values.joined())
        for l in collector.lists where !usedLists.contains(l.name) && !quietFiles.contains(l.file.name) {
            diagnostics.append(l.file.diagnostic(.unusedList, "list '\(l.name)' is not referred to by any rule, macro or list", line: l.line, column: l.column))
        }
        for m in collector.macros where !usedMacros.contains(m.name) && !quietFiles.contains(m.file.name) {
            diagnostics.append(m.file.diagnostic(.unusedMacro, "macro '\(m.name)' is not referred to by any rule or macro", line: m.line, column: m.column))
        }
    }
}
