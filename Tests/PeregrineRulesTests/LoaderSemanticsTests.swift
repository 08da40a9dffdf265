import Testing
@testable import PeregrineRules

@Suite struct LoaderSemanticsTests {
    static func rule(_ name: String, _ condition: String, priority: String = "WARNING", extra: String = "") -> String {
        "- rule: \(name)\n  desc: d\n  condition: \(condition)\n  output: \"\(name) %proc.name\"\n  priority: \(priority)\n\(extra)"
    }

    static func load(_ files: String...) -> RuleLoader.Result {
        RuleLoader().load(files.enumerated().map { RuleSource(name: "f\($0.offset).yaml", text: $0.element) })
    }

    @Test func redefinedRuleKeepsItsPlaceInEvaluationOrder() {
        let r = Self.load(Self.rule("A", "evt.type = execve") + Self.rule("B", "evt.type = open"),
                          Self.rule("A", "evt.type = openat", priority: "ERROR"))
        #expect(r.diagnostics.isEmpty)
        #expect(r.ruleSet.rules.map(\.name) == ["A", "B"])
        #expect(r.ruleSet["A"]?.eventTypes == ["openat"])
        #expect(r.ruleSet["A"]?.priority == .error)
        #expect(r.ruleSet.rulesByEventType["openat"] == [0])
    }

    @Test func appendAndOverride() {
        let base = Self.rule("A", "evt.type = execve", extra: "  tags: [one]\n")
        let r = Self.load(base, """
        - rule: A
          condition: and proc.name = bash
          append: true
        - rule: A
          output: "changed %proc.pname"
          priority: critical
          tags: [two]
          override:
            output: replace
            priority: replace
            tags: append
        """)
        #expect(r.errors.isEmpty, "\(r.diagnostics)")
        let a = r.ruleSet["A"]
        #expect(a?.condition?.description == "(evt.type = execve and proc.name = bash)")
        #expect(a?.priority == .critical)
        #expect(a?.tags == ["one", "two"])
        #expect(a?.output?.fields.map(\.description) == ["proc.pname"])
        #expect(r.diagnostics.map(\.code) == [.deprecatedAppend])
    }

    @Test func enableAndDisableExistingRule() {
        let r = Self.load(Self.rule("A", "evt.type = execve") + Self.rule("B", "evt.type = execve", extra: "  enabled: false\n"),
                          "- rule: A\n  enabled: false\n- rule: B\n  enabled: true\n")
        #expect(r.ruleSet["A"]?.status == .disabledByUser)
        #expect(r.ruleSet["B"]?.status == .enabled)
        let o = Self.load(Self.rule("A", "evt.type = execve"), "- rule: A\n  enabled: false\n  override:\n    enabled: replace\n")
        #expect(o.ruleSet["A"]?.isEnabled == false)
        #expect(o.errors.isEmpty)
    }

    @Test func listsMayBeDefinedAfterTheRuleThatUsesThem() {
        let r = Self.load(Self.rule("A", "evt.type = execve and proc.name in (shells)") + "- list: shells\n  items: [bash, sh]\n")
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        #expect(r.ruleSet["A"]?.condition?.description == "(evt.type = execve and proc.name in (bash, sh))")
    }

    @Test func listsIncludeOnlyEarlierListsAndAppendsExtend() {
        let r = Self.load("""
        - list: a
          items: [x, b]
        - list: b
          items: [y]
        - list: c
          items: [b, z]
        - list: c
          items: [w]
          append: true
        - list: a
          items: [v]
          override:
            items: append
        """ + "\n" + Self.rule("R", "evt.type = open and proc.name in (a, c)"))
        #expect(r.errors.isEmpty)
        #expect(r.ruleSet.lists["a"] == ["x", "b", "v"])
        #expect(r.ruleSet.lists["c"] == ["y", "z", "w"])
        #expect(r.ruleSet["R"]?.condition?.description == "(evt.type = open and proc.name in (x, b, v, y, z, w))")
    }

    @Test func macroVisibility() {
        // A rule sees every macro; a macro sees only macros defined before it.
        let ok = Self.load(Self.rule("R", "evt.type = execve and later") + "- macro: later\n  condition: proc.name = x\n")
        #expect(ok.errors.isEmpty)
        let bad = Self.load("- macro: first\n  condition: second\n- macro: second\n  condition: proc.name = x\n" + Self.rule("R", "evt.type = execve and first"))
        #expect(bad.errors.map(\.message) == ["macro 'second' is used before it is defined"])
        #expect(bad.errors.first?.location.line == 2)
    }

    @Test func macroLoopsAreReported() {
        // `a` is redefined after `b`: it keeps its index but sees `b` now, closing a loop.
        let loop = Self.load("- macro: a\n  condition: proc.name = x\n- macro: b\n  condition: a\n- macro: a\n  condition: b\n  override:\n    condition: replace\n"
                             + Self.rule("R", "evt.type = execve and a"))
        #expect(loop.errors.map(\.code) == [.macroLoop])
        #expect(loop.errors.first?.message == "macros refer to each other in a loop: a -> b -> a")
    }

    @Test func macrosAreInlinedAndListsSubstituted() {
        let r = Self.load("""
        - list: py
          items: [python, python3]
        - macro: is_py
          condition: proc.name in (py) or proc.pname in py
        """ + "\n" + Self.rule("R", "spawn and is_py") + "- macro: spawn\n  condition: evt.type in (execve, execveat)\n")
        #expect(r.errors.isEmpty)
        #expect(r.ruleSet["R"]?.condition?.description
                == "(evt.type in (execve, execveat) and (proc.name in (python, python3) or proc.pname in (python, python3)))")
        #expect(r.ruleSet["R"]?.eventTypes == ["execve", "execveat"])
    }

    @Test func exceptionsBecomeAndNotClauses() {
        let r = Self.load("""
        - list: trusted
          items: [/usr/lib/a, /usr/lib/b]
        - rule: R
          desc: d
          condition: evt.type = open and fd.name startswith /etc
          output: x
          priority: INFO
          exceptions:
            - name: proc_and_file
              fields: [proc.name, fd.name]
              comps: [=, in]
              values:
                - [apt, [/etc/apt, /etc/dpkg]]
                - [yum, trusted]
            - name: by_name
              fields: proc.name
              values: [dnf, rpm]
            - name: empty_for_now
              fields: [proc.name, proc.pname]
            - name: default_comps
              fields: [proc.name, proc.pname]
              values:
                - [a, b]
        - rule: R
          exceptions:
            - name: by_name
              values: [zypper]
          override:
            exceptions: append
        """)
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        #expect(r.ruleSet["R"]?.condition?.description == """
        ((evt.type = open and fd.name startswith /etc) and not (((proc.name = apt and fd.name in (/etc/apt, /etc/dpkg)) \
        or (proc.name = yum and fd.name in (/usr/lib/a, /usr/lib/b))) or proc.name in (dnf, rpm, zypper) or (proc.name = a and proc.pname = b)))
        """)
    }

    @Test func exceptionMistakesAreReported() {
        let r = Self.load("""
        - rule: R
          desc: d
          condition: evt.type = open
          output: x
          priority: INFO
          exceptions:
            - name: e1
              fields: [proc.name, fd.nme]
              values:
                - [a, b]
            - name: e2
              fields: [proc.name, fd.name]
              comps: [=]
            - name: e3
              fields: [proc.name, fd.name]
              values:
                - [a]
            - name: e4
              fields: [proc.name]
              comps: [like]
        """)
        #expect(r.errors.map(\.code) == [.unknownField, .badExceptionShape, .badExceptionShape, .badExceptionShape])
        #expect(r.errors.map(\.location.line) == [7, 11, 17, 20])
        #expect(r.ruleSet["R"]?.status == .invalid)
    }

    @Test func eventTypeInference() {
        let cases: [(String, Set<String>?)] = [
            ("evt.type = execve", ["execve"]),
            ("evt.type in (open, openat) and proc.name = x", ["open", "openat"]),
            ("evt.type = open or evt.type = creat", ["open", "creat"]),
            ("(evt.type = open or proc.name = x) and evt.type = openat", ["openat"]),
            ("proc.name = x", nil),
            ("evt.type = execve or proc.name = x", nil),
            ("evt.type != execve", EventTypeSet.known.subtracting(["execve"])),
            ("not evt.type in (execve, open)", EventTypeSet.known.subtracting(["execve", "open"])),
            ("not (evt.type != execve)", ["execve"]),
            ("not (evt.type = execve and proc.name = x)", nil),
            ("evt.type = execve and not evt.type = execve", []),
        ]
        for (cond, want) in cases {
            let r = Self.load(Self.rule("R", cond))
            #expect(r.ruleSet["R"]?.eventTypes == want, "\(cond)")
        }
    }

    @Test func rulesForEventTypesThatAreNotProducedAreDisabledWithAWarning() {
        let r = Self.load(Self.rule("net", "evt.type in (connect, accept) and fd.sip = 1.2.3.4")
                          + Self.rule("mixed", "evt.type in (connect, execve)")
                          + Self.rule("all", "proc.name = bash"))
        #expect(r.ruleSet["net"]?.status == .unsupportedEventTypes(["accept", "connect"]))
        #expect(r.ruleSet["mixed"]?.isEnabled == true)
        #expect(r.ruleSet["all"]?.isEnabled == true)
        #expect(r.diagnostics.map(\.code) == [.unsupportedEventTypes, .noEventTypeFilter])
        #expect(r.diagnostics.first?.message == "rule 'net' is disabled: it needs event types the probe does not produce (accept, connect)")
        #expect(!r.hasErrors)
    }

    @Test func otherSourcesAreKeptButNotCompiled() {
        let r = Self.load(Self.rule("audit", "ka.verb = create", extra: "  source: k8s_audit\n"))
        #expect(r.ruleSet["audit"]?.status == .otherSource("k8s_audit"))
        #expect(r.ruleSet["audit"]?.condition == nil)
        #expect(r.diagnostics.map(\.code) == [.otherSource])
    }

    @Test func skipIfUnknownFilter() {
        let r = Self.load(Self.rule("R", "evt.type = execve and foo.bar = 1", extra: "  skip-if-unknown-filter: true\n"))
        #expect(r.ruleSet["R"]?.status == .skippedUnknownField("foo.bar"))
        #expect(!r.hasErrors)
    }

    @Test func unusedListsAndMacrosAreReportedLikeFalco() {
        // `inner` is referred to by `outer` (itself unused), so only `outer` and `lonely` are unused.
        let r = Self.load("""
        - list: lonely
          items: [a]
        - list: used_by_list
          items: [b]
        - list: uses_list
          items: [used_by_list, c]
        - macro: inner
          condition: proc.name = x
        - macro: outer
          condition: inner and proc.name in (uses_list)
        """ + "\n" + Self.rule("R", "evt.type = execve"))
        #expect(r.diagnostics.map(\.message) == ["list 'lonely' is not referred to by any rule, macro or list",
                                                 "macro 'outer' is not referred to by any rule or macro"])
        #expect(r.diagnostics.map(\.location.line) == [1, 9])
    }

    @Test func macrosOnlyUsedByOtherSourcesAreParsedNotFieldChecked() {
        let r = Self.load("""
        - macro: audit_create
          condition: ka.verb = create
        - macro: broken_syntax
          condition: ka.verb =
        - rule: A
          desc: d
          condition: audit_create
          output: x
          priority: INFO
          source: k8s_audit
        """)
        #expect(r.diagnostics.map(\.code) == [.expectedValue, .otherSource])
    }

    @Test func containerInfoIsDroppedWithAWarning() {
        let r = Self.load("- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: \"x %container.info y\"\n  priority: INFO\n")
        #expect(r.diagnostics.map(\.code) == [.deprecatedContainerInfo])
        #expect(r.ruleSet["R"]?.output?.render(FieldValueTable([:])) == "x  y")
    }

    @Test func skipIfUnknownFilterCoversOutputs() {
        let r = Self.load("- rule: R\n  desc: d\n  condition: evt.type = execve\n  output: \"%foo.bar\"\n  priority: INFO\n  skip-if-unknown-filter: true\n")
        #expect(r.ruleSet["R"]?.status == .skippedUnknownField("foo.bar"))
        #expect(r.diagnostics.map(\.code) == [.skippedUnknownField])
    }

    @Test func tooManyEventTypesWarns() {
        let r = Self.load(Self.rule("R", "evt.type != execve"))
        #expect(r.diagnostics.map(\.code) == [.noEventTypeFilter])
        #expect(r.ruleSet["R"]?.isEnabled == true)
        let quiet = Self.load(Self.rule("R", "proc.name = x", extra: "  warn_evttypes: false\n"))
        #expect(quiet.diagnostics.isEmpty)
    }

    @Test func allRuleKeysAreAccepted() {
        let r = Self.load("""
        - rule: R
          desc: d
          condition: evt.type = execve
          output: x
          priority: info
          enabled: true
          tags: [a, b]
          source: syscall
          warn_evttypes: false
          skip-if-unknown-filter: false
          capture: true
          capture_duration: 3000
        """)
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        let rule = r.ruleSet["R"]
        #expect(rule?.priority == .informational)
        #expect(rule?.capture == true)
        #expect(rule?.captureDuration == 3000)
        #expect(rule?.warnEvttypes == false)
    }

    @Test func everyPriorityName() {
        for (name, p) in [("EMERGENCY", Priority.emergency), ("alert", .alert), ("Critical", .critical), ("ERROR", .error),
                          ("warning", .warning), ("NOTICE", .notice), ("INFORMATIONAL", .informational), ("info", .informational), ("DEBUG", .debug)] {
            let r = Self.load(Self.rule("R", "evt.type = execve", priority: name))
            #expect(r.ruleSet["R"]?.priority == p)
        }
    }

    @Test func typeChecks() {
        let cases: [(String, String)] = [
            ("evt.type = execve and container.privileged = yes", "'container.privileged' is a boolean; compare it with true or false, not 'yes'"),
            ("evt.type = execve and proc.pid in (1, two)", "'two' is not a number, but 'proc.pid' is int64"),
            ("evt.type = execve and proc.pid startswith 1", "operator 'startswith' needs a text field, but 'proc.pid' is int64"),
            ("evt.type = execve and proc.name regex '(['", "invalid regular expression '(['"),
            ("evt.type = execve and evt.buffer bcontains xyz", "'bcontains' needs hexadecimal bytes, not 'xyz'"),
            ("evt.type = execve and proc.name[1] = a", "field 'proc.name' takes no argument"),
            ("evt.type = execve and k8s.pod.label = a", "field 'k8s.pod.label' needs an argument, like k8s.pod.label[name]"),
            ("evt.type = execve and shells", "'shells' is a list, not a macro"),
            ("evt.type = execve and tolower(proc.pid) = 1", "'tolower' needs a text field, but 'proc.pid' is int64"),
            ("evt.type = execve and container.privileged > true", "operator '>' cannot compare booleans"),
        ]
        let warned = Self.load(Self.rule("R", "evt.type in (execve, opnat)"))
        #expect(warned.diagnostics.map(\.message) == ["unknown event type 'opnat'"])
        #expect(warned.diagnostics.first?.hint == "did you mean 'openat'?")
        for (cond, message) in cases {
            let r = Self.load("- list: shells\n  items: [sh]\n" + Self.rule("R", cond))
            #expect(r.errors.map(\.message) == [message], "\(cond)")
        }
    }
}
