extension Diagnostic.Code {
    public static let appendToUnknown = Diagnostic.Code("PR300", .error)
    public static let enableUnknown = Diagnostic.Code("PR302", .error)
}

/// Stage two of loading: items from all files, in order, folded into one set of definitions the
/// way Falco does it. A redefinition replaces the earlier one but keeps its place in evaluation
/// order; appends and overrides change the earlier definition in place. Every definition records
/// `index` (when first defined) and `visibility` (when last changed): a list or macro may refer to
/// lists and macros whose index is lower than its own visibility.
struct RuleCollector {
    struct ListDef {
        var name: String
        var items: [String]
        var index: Int
        var visibility: Int
        var file: SourceFile
        var line: Int
        var column: Int
    }

    struct MacroDef {
        var name: String
        var parts: [ScalarText]
        var index: Int
        var visibility: Int
        var file: SourceFile
        var line: Int
        var column: Int
    }

    struct RuleDef {
        var entry: RuleItem.RuleEntry
        var conditionParts: [ScalarText]
        var outputParts: [ScalarText]
        var exceptions: [RuleItem.ExceptionEntry]
        var index: Int
    }

    var lists: [ListDef] = []
    var listByName: [String: Int] = [:]
    var macros: [MacroDef] = []
    var macroByName: [String: Int] = [:]
    var rules: [RuleDef] = []
    var ruleByName: [String: Int] = [:]
    var counter = 0
    var diagnostics: [Diagnostic] = []

    mutating func add(_ item: RuleItem) {
        counter += 1
        switch item {
        case .list(let l): addList(l)
        case .macro(let m): addMacro(m)
        case .rule(let r): addRule(r)
        }
    }

    mutating func unknownTarget(_ kind: String, _ name: String, _ file: SourceFile, _ line: Int, _ column: Int, known: [String], replacing: Bool = false) {
        let near = known.min { EditDistance.between(name, $0) < EditDistance.between(name, $1) }
        let hint = near.flatMap { EditDistance.between(name, $0) <= 3 ? "did you mean '\($0)'?" : nil }
            ?? "define the \(kind) before appending to it, or drop 'append'/'override'"
        let verb = replacing ? "override" : "append to"
        diagnostics.append(file.diagnostic(.appendToUnknown, "cannot \(verb) \(kind) '\(name)': it is not defined earlier",
                                           line: line, column: column, hint: hint))
    }

    mutating func addList(_ l: RuleItem.ListItem) {
        let items = (l.items ?? []).map(\.value)
        let isAppend = l.append || l.override["items"] == .append
        if let i = listByName[l.name] {
            if isAppend { lists[i].items += items } else { lists[i].items = items }
            lists[i].visibility = counter
        } else if isAppend || !l.override.isEmpty {
            unknownTarget("list", l.name, l.file, l.line, l.column, known: Array(listByName.keys), replacing: !isAppend)
        } else {
            listByName[l.name] = lists.count
            lists.append(ListDef(name: l.name, items: items, index: counter, visibility: counter,
                                 file: l.file, line: l.line, column: l.column))
        }
    }

    mutating func addMacro(_ m: RuleItem.MacroItem) {
        guard let cond = m.condition else { return }
        let isAppend = m.append || m.override["condition"] == .append
        if let i = macroByName[m.name] {
            if isAppend { macros[i].parts.append(cond) } else {
                macros[i].parts = [cond]
                macros[i].file = m.file; macros[i].line = m.line; macros[i].column = m.column
            }
            macros[i].visibility = counter
        } else if isAppend || !m.override.isEmpty {
            unknownTarget("macro", m.name, m.file, m.line, m.column, known: Array(macroByName.keys), replacing: !isAppend)
        } else {
            macroByName[m.name] = macros.count
            macros.append(MacroDef(name: m.name, parts: [cond], index: counter, visibility: counter,
                                   file: m.file, line: m.line, column: m.column))
        }
    }

    mutating func addRule(_ r: RuleItem.RuleEntry) {
        guard let i = ruleByName[r.name] else {
            if r.isEnableToggle {
                diagnostics.append(r.file.diagnostic(.enableUnknown, "cannot enable or disable rule '\(r.name)': it is not defined earlier",
                                                     line: r.line, column: r.column, hint: "check the rule name and file order"))
            } else if r.isChange {
                unknownTarget("rule", r.name, r.file, r.line, r.column, known: Array(ruleByName.keys),
                              replacing: !r.append && !r.override.values.contains(.append))
            } else {
                ruleByName[r.name] = rules.count
                rules.append(RuleDef(entry: r, conditionParts: r.condition.map { [$0] } ?? [],
                                     outputParts: r.output.map { [$0] } ?? [], exceptions: r.exceptions ?? [], index: counter))
            }
            return
        }
        if r.isEnableToggle {
            if let e = r.enabled { rules[i].entry.enabled = e }
            return
        }
        if !r.isChange {
            // Redefinition: the new rule takes the old one's place in evaluation order.
            rules[i] = RuleDef(entry: r, conditionParts: r.condition.map { [$0] } ?? [],
                               outputParts: r.output.map { [$0] } ?? [], exceptions: r.exceptions ?? [], index: rules[i].index)
            return
        }
        func mode(_ key: String) -> RuleItem.OverrideMode? {
            guard r.keys.contains(key) else { return nil }
            if r.append { return key == "enabled" ? .replace : .append }
            return r.override[key]
        }
        var d = rules[i]
        if r.invalid { d.entry.invalid = true }
        if let m = mode("condition"), let c = r.condition {
            if m == .append { d.conditionParts.append(c) } else { d.conditionParts = [c] }
        }
        if let m = mode("output"), let o = r.output {
            if m == .append { d.outputParts.append(o) } else { d.outputParts = [o] }
        }
        if let m = mode("desc"), let s = r.description {
            d.entry.description = m == .append ? [d.entry.description ?? "", s].joined(separator: " ") : s
        }
        if let m = mode("tags"), let t = r.tags {
            d.entry.tags = m == .append ? (d.entry.tags ?? []) + t.filter { !(d.entry.tags ?? []).contains($0) } : t
        }
        if let m = mode("exceptions"), let ex = r.exceptions {
            if m == .replace { d.exceptions = ex } else {
                for e in ex {
                    if let j = d.exceptions.firstIndex(where: { $0.name == e.name }) {
                        d.exceptions[j].values += e.values
                    } else {
                        d.exceptions.append(e)
                    }
                }
            }
        }
        if mode("priority") != nil, let p = r.priority { d.entry.priority = p }
        if mode("enabled") != nil, let e = r.enabled { d.entry.enabled = e }
        if mode("source") != nil, let s = r.source { d.entry.source = s }
        if mode("warn_evttypes") != nil { d.entry.warnEvttypes = r.warnEvttypes }
        if mode("skip-if-unknown-filter") != nil { d.entry.skipIfUnknownFilter = r.skipIfUnknownFilter }
        if mode("capture") != nil { d.entry.capture = r.capture }
        if mode("capture_duration") != nil { d.entry.captureDuration = r.captureDuration }
        rules[i] = d
    }
}
