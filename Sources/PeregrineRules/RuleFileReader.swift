import Yams

extension Diagnostic.Code {
    public static let yamlSyntax = Diagnostic.Code("PR200", .error)
    public static let notASequence = Diagnostic.Code("PR201", .error)
    public static let itemNotMapping = Diagnostic.Code("PR202", .error)
    public static let unknownItem = Diagnostic.Code("PR203", .warning)
    public static let missingKey = Diagnostic.Code("PR204", .error)
    public static let wrongValueType = Diagnostic.Code("PR205", .error)
    public static let unknownKey = Diagnostic.Code("PR206", .warning)
    public static let invalidPriority = Diagnostic.Code("PR207", .error)
    public static let invalidBool = Diagnostic.Code("PR208", .error)
    public static let emptyName = Diagnostic.Code("PR209", .error)
    public static let invalidOverride = Diagnostic.Code("PR210", .error)
    public static let invalidException = Diagnostic.Code("PR211", .error)
    public static let engineVersion = Diagnostic.Code("PR212", .warning)
    public static let deprecatedAppend = Diagnostic.Code("PR213", .note)
}

/// Stage one of loading: one file's YAML into `RuleItem`s, reporting shape problems.
struct RuleFileReader {
    /// The Falco engine version whose rule files this engine reads.
    static let engineVersion = [0, 57, 0]

    static let ruleKeys = ["rule", "desc", "condition", "output", "priority", "enabled", "tags", "source", "exceptions",
                           "override", "append", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"]
    static let macroKeys = ["macro", "condition", "append", "override", "desc"]
    static let listKeys = ["list", "items", "append", "override", "desc"]
    static let appendable: [String: Set<String>] = [
        "rule": ["condition", "output", "desc", "tags", "exceptions"],
        "macro": ["condition"], "list": ["items"],
    ]
    static let replaceable: [String: Set<String>] = [
        "rule": ["condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "warn_evttypes",
                 "skip-if-unknown-filter", "capture", "capture_duration", "source"],
        "macro": ["condition"], "list": ["items"],
    ]

    let file: SourceFile
    var items: [RuleItem] = []
    var diagnostics: [Diagnostic] = []

    static func read(_ source: RuleSource) -> (SourceFile, [RuleItem], [Diagnostic]) {
        var reader = RuleFileReader(file: SourceFile(source))
        reader.run(source.text)
        return (reader.file, reader.items, reader.diagnostics)
    }

    mutating func report(_ code: Diagnostic.Code, _ message: String, _ node: Node?, hint: String? = nil) {
        let m = node?.mark
        diagnostics.append(file.diagnostic(code, message, line: m?.line ?? 1, column: m?.column ?? 1, hint: hint))
    }

    mutating func run(_ text: String) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            var line = 1, column = 1, problem = "\(error)"
            switch error {
            case .scanner(let ctx, let p, let mark, _), .parser(let ctx, let p, let mark, _), .composer(let ctx, let p, let mark, _):
                line = mark.line; column = mark.column
                problem = ctx.map { "\(p) \($0.text)" } ?? p
            case .duplicatedKeysInMapping(let dups, let ctx):
                line = ctx.mark.line; column = ctx.mark.column
                problem = "duplicate key \(dups.map { "'\($0)'" }.joined(separator: ", ")) in a mapping"
            case .reader(let p, _, _, _):
                problem = p
            default: break
            }
            diagnostics.append(file.diagnostic(.yamlSyntax, "YAML error: \(problem)", line: line, column: column))
            return
        } catch {
            diagnostics.append(file.diagnostic(.yamlSyntax, "YAML error: \(error)", line: 1, column: 1))
            return
        }
        guard let root else { return }
        guard let seq = root.sequence else {
            report(.notASequence, "a rules file must be a YAML sequence of items", root,
                   hint: "start each item with '- rule:', '- macro:' or '- list:'")
            return
        }
        for node in seq { readItem(node) }
    }

    mutating func readItem(_ node: Node) {
        guard let map = node.mapping else {
            report(.itemNotMapping, "item must be a mapping with a 'rule', 'macro' or 'list' key", node)
            return
        }
        var pairs: [(String, Node, Node)] = []
        for (k, v) in map { pairs.append((k.string ?? "", k, v)) }
        let keys = Set(pairs.map(\.0))
        if keys.contains("rule") { readRule(pairs, node) }
        else if keys.contains("macro") { readMacro(pairs, node) }
        else if keys.contains("list") { readList(pairs, node) }
        else if let (_, _, v) = pairs.first(where: { $0.0 == "required_engine_version" }) { readEngineVersion(v) }
        else if keys.contains("required_plugin_versions") { return }
        else {
            report(.unknownItem, "unknown item with keys \(pairs.map { "'\($0.0)'" }.joined(separator: ", ")); it is ignored", node,
                   hint: "items are 'rule', 'macro', 'list', 'required_engine_version' or 'required_plugin_versions'")
        }
    }

    mutating func readEngineVersion(_ v: Node) {
        guard let s = v.string else { report(.wrongValueType, "'required_engine_version' must be a version string", v); return }
        let parts = s.split(separator: ".").map { Int($0) }
        if parts.contains(where: { $0 == nil }) || parts.isEmpty {
            report(.wrongValueType, "'\(s)' is not a version", v, hint: "write it as MAJOR.MINOR.PATCH, e.g. 0.57.0")
            return
        }
        let want = parts.map { $0! }
        if want.count == 1 { return }  // old integer engine versions
        let padded = want + Array(repeating: 0, count: max(0, 3 - want.count))
        if padded.lexicographicallyPrecedes(Self.engineVersion) || padded == Self.engineVersion { return }
        report(.engineVersion, "file requires engine version \(s); this engine reads rules for \(Self.engineVersion.map(String.init).joined(separator: "."))", v,
               hint: "the file may use features this engine does not know")
    }

    // MARK: value helpers

    mutating func scalar(_ v: Node, _ key: String) -> String? {
        if let s = v.scalar { return s.string }
        report(.wrongValueType, "'\(key)' must be a single value", v)
        return nil
    }

    mutating func text(_ v: Node, _ key: String) -> ScalarText? {
        guard let s = v.scalar else {
            report(.wrongValueType, "'\(key)' must be text", v)
            return nil
        }
        let m = s.mark
        return ScalarText(text: s.string, file: file, line: m?.line ?? 1, column: m?.column ?? 1, style: s.style)
    }

    mutating func bool(_ v: Node, _ key: String) -> Bool? {
        guard let s = scalar(v, key) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report(.invalidBool, "'\(key)' must be true or false, not '\(s)'", v)
            return nil
        }
    }

    mutating func strings(_ v: Node, _ key: String) -> [RuleItem.Located<String>]? {
        if v.scalar?.string == "" && v.scalar?.style == .plain { return [] }
        guard let seq = v.sequence else {
            report(.wrongValueType, "'\(key)' must be a sequence", v, hint: "write '\(key): [a, b]'")
            return nil
        }
        var out: [RuleItem.Located<String>] = []
        for item in seq {
            guard let s = item.scalar else {
                report(.wrongValueType, "items of '\(key)' must be single values", item)
                continue
            }
            out.append(.init(value: s.string, line: item.mark?.line ?? 1, column: item.mark?.column ?? 1))
        }
        return out
    }

    mutating func name(_ pairs: [(String, Node, Node)], _ kind: String, _ node: Node) -> String? {
        guard let (_, _, v) = pairs.first(where: { $0.0 == kind }), let n = scalar(v, kind) else { return nil }
        if n.isEmpty {
            report(.emptyName, "\(kind) name is empty", v)
            return nil
        }
        return n
    }

    mutating func checkKeys(_ pairs: [(String, Node, Node)], allowed: [String], kind: String, name: String) {
        for (k, keyNode, _) in pairs where !allowed.contains(k) {
            let near = allowed.min { EditDistance.between(k, $0) < EditDistance.between(k, $1) }
            let hint = near.flatMap { EditDistance.between(k, $0) <= 3 ? "did you mean '\($0)'?" : nil }
            report(.unknownKey, "unknown key '\(k)' in \(kind) '\(name)'; it is ignored", keyNode, hint: hint)
        }
    }

    mutating func overrides(_ pairs: [(String, Node, Node)], kind: String, name: String) -> [String: RuleItem.OverrideMode] {
        guard let (_, _, v) = pairs.first(where: { $0.0 == "override" }) else { return [:] }
        guard let map = v.mapping else {
            report(.invalidOverride, "'override' must map keys to 'append' or 'replace'", v)
            return [:]
        }
        var out: [String: RuleItem.OverrideMode] = [:]
        let present = Set(pairs.map(\.0))
        for (k, mv) in map {
            let key = k.string ?? ""
            guard let modeText = mv.string, let mode = RuleItem.OverrideMode(rawValue: modeText) else {
                report(.invalidOverride, "override of '\(key)' must be 'append' or 'replace'", mv)
                continue
            }
            let allowed = mode == .append ? Self.appendable[kind]! : Self.replaceable[kind]!
            guard allowed.contains(key) else {
                report(.invalidOverride, "'\(key)' of a \(kind) cannot be overridden with '\(modeText)'", k,
                       hint: "keys that allow '\(modeText)': \(allowed.sorted().joined(separator: ", "))")
                continue
            }
            guard present.contains(key) else {
                report(.invalidOverride, "override names '\(key)' but the \(kind) '\(name)' gives no '\(key)'", k)
                continue
            }
            out[key] = mode
        }
        for (k, keyNode, _) in pairs where k != kind && k != "override" && out[k] == nil
            && (Self.replaceable[kind]!.contains(k) || Self.appendable[kind]!.contains(k)) && !out.isEmpty {
            report(.invalidOverride, "'\(k)' must be listed under 'override' as 'append' or 'replace'", keyNode)
        }
        return out
    }

    mutating func appendFlag(_ pairs: [(String, Node, Node)], hasOverride: Bool) -> Bool {
        guard let (_, _, v) = pairs.first(where: { $0.0 == "append" }), let flag = bool(v, "append") else { return false }
        if flag && hasOverride {
            report(.invalidOverride, "'append' cannot be combined with 'override'", v, hint: "use 'override' only")
            return false
        }
        if flag { report(.deprecatedAppend, "'append: true' is deprecated", v, hint: "use 'override: {condition: append}'") }
        return flag
    }

    // MARK: items

    mutating func readList(_ pairs: [(String, Node, Node)], _ node: Node) {
        guard let name = name(pairs, "list", node) else { return }
        checkKeys(pairs, allowed: Self.listKeys, kind: "list", name: name)
        let ov = overrides(pairs, kind: "list", name: name)
        let append = appendFlag(pairs, hasOverride: !ov.isEmpty)
        var listItems: [RuleItem.Located<String>]?
        if let (_, _, v) = pairs.first(where: { $0.0 == "items" }) {
            listItems = strings(v, "items")
            if listItems == nil { return }
        } else {
            report(.missingKey, "list '\(name)' has no 'items'", node, hint: "add 'items: []'")
            return
        }
        let m = node.mark
        items.append(.list(.init(name: name, file: file, line: m?.line ?? 1, column: m?.column ?? 1,
                                 items: listItems, append: append, override: ov)))
    }

    mutating func readMacro(_ pairs: [(String, Node, Node)], _ node: Node) {
        guard let name = name(pairs, "macro", node) else { return }
        checkKeys(pairs, allowed: Self.macroKeys, kind: "macro", name: name)
        let ov = overrides(pairs, kind: "macro", name: name)
        let append = appendFlag(pairs, hasOverride: !ov.isEmpty)
        guard let (_, _, v) = pairs.first(where: { $0.0 == "condition" }) else {
            report(.missingKey, "macro '\(name)' has no 'condition'", node)
            return
        }
        guard let cond = text(v, "condition") else { return }
        let m = node.mark
        items.append(.macro(.init(name: name, file: file, line: m?.line ?? 1, column: m?.column ?? 1,
                                  condition: cond, append: append, override: ov)))
    }

    mutating func readRule(_ pairs: [(String, Node, Node)], _ node: Node) {
        guard let name = name(pairs, "rule", node) else { return }
        checkKeys(pairs, allowed: Self.ruleKeys, kind: "rule", name: name)
        let m = node.mark
        var r = RuleItem.RuleEntry(name: name, file: file, line: m?.line ?? 1, column: m?.column ?? 1)
        r.override = overrides(pairs, kind: "rule", name: name)
        r.append = appendFlag(pairs, hasOverride: !r.override.isEmpty)
        var ok = true
        for (k, _, v) in pairs {
            r.keys.insert(k)
            switch k {
            case "desc": r.description = scalar(v, k)
            case "condition": r.condition = text(v, k); ok = ok && r.condition != nil
            case "output": r.output = text(v, k); ok = ok && r.output != nil
            case "priority":
                guard let p = scalar(v, k) else { ok = false; continue }
                if let prio = Priority(name: p) { r.priority = prio } else {
                    let names = Priority.allCases.map { $0.name.uppercased() } + ["INFO"]
                    let near = names.min { EditDistance.between(p.uppercased(), $0) < EditDistance.between(p.uppercased(), $1) }!
                    report(.invalidPriority, "unknown priority '\(p)'", v,
                           hint: "did you mean '\(near)'? priorities: EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (INFO), DEBUG")
                    ok = false
                }
            case "enabled": r.enabled = bool(v, k); ok = ok && r.enabled != nil
            case "tags": r.tags = strings(v, k)?.map(\.value); ok = ok && r.tags != nil
            case "source": r.source = scalar(v, k); ok = ok && r.source != nil
            case "warn_evttypes": r.warnEvttypes = bool(v, k); ok = ok && r.warnEvttypes != nil
            case "skip-if-unknown-filter": r.skipIfUnknownFilter = bool(v, k); ok = ok && r.skipIfUnknownFilter != nil
            case "capture": r.capture = bool(v, k); ok = ok && r.capture != nil
            case "capture_duration":
                if let s = scalar(v, k) {
                    if let n = Int(s), n >= 0 { r.captureDuration = n } else {
                        report(.wrongValueType, "'capture_duration' must be a whole number of milliseconds", v)
                        ok = false
                    }
                }
            case "exceptions":
                r.exceptions = exceptions(v, rule: name)
                if r.exceptions == nil { ok = false }
            default: break
            }
        }
        if !r.isChange && !r.isEnableToggle {
            let missing = ["condition", "output", "desc", "priority"].filter { !r.keys.contains($0) }
            if !missing.isEmpty {
                report(.missingKey, "rule '\(name)' has no \(missing.map { "'\($0)'" }.joined(separator: ", "))", node,
                       hint: "a rule needs condition, output, desc and priority")
                ok = false
            }
        }
        r.invalid = !ok
        items.append(.rule(r))
    }

    mutating func exceptions(_ v: Node, rule: String) -> [RuleItem.ExceptionEntry]? {
        guard let seq = v.sequence else {
            report(.invalidException, "'exceptions' must be a sequence", v)
            return nil
        }
        var out: [RuleItem.ExceptionEntry] = []
        var ok = true
        for ex in seq {
            guard let map = ex.mapping else {
                report(.invalidException, "each exception must be a mapping with 'name', 'fields', 'comps', 'values'", ex)
                ok = false
                continue
            }
            var e = RuleItem.ExceptionEntry(name: "", line: ex.mark?.line ?? 1, column: ex.mark?.column ?? 1, fields: nil, comps: nil, values: [])
            var hasName = false
            for (k, val) in map {
                let key = k.string ?? ""
                switch key {
                case "name":
                    if let n = scalar(val, "name") { e.name = n; hasName = true }
                case "fields":
                    if let s = val.scalar { e.fields = .single(s.string) }
                    else if let l = strings(val, "fields") { e.fields = .multiple(l.map(\.value)) }
                    else { ok = false }
                case "comps":
                    if let s = val.scalar { e.comps = [.init(value: s.string, line: val.mark?.line ?? 1, column: val.mark?.column ?? 1)] }
                    else if let l = strings(val, "comps") { e.comps = l }
                    else { ok = false }
                case "values":
                    guard let vseq = val.sequence else {
                        if val.scalar?.string == "" { continue }
                        report(.invalidException, "exception 'values' must be a sequence", val)
                        ok = false
                        continue
                    }
                    for row in vseq {
                        let loc = (row.mark?.line ?? 1, row.mark?.column ?? 1)
                        if let s = row.scalar {
                            e.values.append(.init(value: [.scalar(s.string)], line: loc.0, column: loc.1))
                        } else if let cells = row.sequence {
                            var vals: [RuleItem.ExceptionEntry.Value] = []
                            for c in cells {
                                if let s = c.scalar { vals.append(.scalar(s.string)) }
                                else if let l = c.sequence { vals.append(.list(l.compactMap { $0.scalar?.string })) }
                                else { report(.invalidException, "exception values must be text or lists of text", c); ok = false }
                            }
                            e.values.append(.init(value: vals, line: loc.0, column: loc.1))
                        } else {
                            report(.invalidException, "exception values must be text or lists of text", row)
                            ok = false
                        }
                    }
                default:
                    report(.unknownKey, "unknown key '\(key)' in an exception of rule '\(rule)'; it is ignored", k)
                }
            }
            if !hasName {
                report(.invalidException, "exception of rule '\(rule)' has no 'name'", ex)
                ok = false
                continue
            }
            out.append(e)
        }
        return ok ? out : nil
    }
}
