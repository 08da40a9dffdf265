// PeregrineRules: Falco's rule language, pure (no I/O, no kernel).
//
//   RuleLoader        load RuleSources (YAML text) -> RuleLoader.Result { ruleSet, diagnostics }
//   RuleSet           rules in evaluation order, indexed by event type (rules(for:))
//   CompiledRule      one rule: status, event types, CompiledCondition, OutputFormat, priority, tags
//   CompiledCondition the checked, resolved condition (macros inlined, lists expanded, exceptions added)
//   ReferenceEvaluator evaluate a CompiledCondition against a FieldValueSource (Falco semantics)
//   FieldCatalog      the known fields (FieldInfo: type, argument, event types, supplied or not)
//   Alert             Falco's text line and JSON object for a match
//   Diagnostic        coded problem with file, line, column, snippet and hint
//
// Loading runs in stages like Falco's: RuleFileReader (YAML -> items), RuleCollector (definitions
// across files: redefine, append, override), RuleCompiler (parse, resolve, type, infer event types).

/// Loads rule files into a `RuleSet`: read each file's YAML, collect definitions across files in
/// order (redefinitions, appends, overrides), then compile. Every problem in every file is
/// reported at once; loading never throws and never traps on bad input.
public struct RuleLoader: Sendable {
    public var catalog: FieldCatalog
    /// Event types the engine produces; rules needing only others are disabled.
    public var supportedEventTypes: Set<String>

    public init(catalog: FieldCatalog = .standard, supportedEventTypes: Set<String> = EventTypeSet.supported) {
        self.catalog = catalog
        self.supportedEventTypes = supportedEventTypes
    }

    public struct Result: Sendable {
        public var ruleSet: RuleSet
        /// Sorted by file (in load order), line, column.
        public var diagnostics: [Diagnostic]
        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
        public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
        public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    }

    /// - Parameter library: names of sources whose unused lists and macros are not worth a warning
    ///   (the built-in defaults are a library for other files).
    public func load(_ sources: [RuleSource], library: Set<String> = []) -> Result {
        var collector = RuleCollector()
        var diagnostics: [Diagnostic] = []
        var order: [String: Int] = [:]
        for (i, source) in sources.enumerated() {
            if order[source.name] == nil { order[source.name] = i }
            let (_, items, diags) = RuleFileReader.read(source)
            diagnostics += diags
            for item in items { collector.add(item) }
        }
        diagnostics += collector.diagnostics
        var compiler = RuleCompiler(catalog: catalog, supported: supportedEventTypes, collector: collector, quietFiles: library)
        let rules = compiler.compileRules()
        diagnostics += compiler.diagnostics
        var seen: Set<Diagnostic> = []
        diagnostics = diagnostics.filter { seen.insert($0).inserted }
        diagnostics.sort {
            let a = order[$0.location.file] ?? Int.max, b = order[$1.location.file] ?? Int.max
            return a != b ? a < b : $0.location < $1.location
        }
        let set = RuleSet(rules: rules, lists: compiler.expandedLists, macroNames: collector.macros.map(\.name),
                          supported: supportedEventTypes)
        return Result(ruleSet: set, diagnostics: diagnostics)
    }

    /// Loads the built-in default rules, then `sources` on top.
    public func loadWithDefaults(_ sources: [RuleSource]) -> Result {
        load(DefaultRules.sources + sources, library: Set(DefaultRules.sources.map(\.name)))
    }
}
