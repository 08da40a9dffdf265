import Testing
@testable import PeregrineRules

/// `oneof`/`anyof`/`allof` and `join`/`concat`, with the meaning falcosecurity/libs gives them
/// (its `test/filterchecks/cmp_operator_modifiers.cpp` and `test/filter_transformer.ut.cpp`):
/// the cases below are those tests' cases, evaluated by the reference evaluator.
@Suite struct ModifierAndCombinerTests {
    static let event = FieldValueTable([
        "proc.name": .string("myexe"),
        "fd.name": .string("/tmp/file_to_run"),
        "fd.directory": .string("/tmp"),
        "evt.num": .uint(1),
        "proc.aname": .list([.string("bash"), .string("systemd")]),
        "fd.types": .list([.string("file"), .string("ipv4")]),
    ])

    static let cases: [(String, Bool)] = [
        // ==
        ("proc.name == oneof (myexe, bash)", true),
        ("proc.name == oneof (myexe)", true),
        ("proc.name == oneof (bash, sh)", false),
        ("proc.name == oneof (myexe, myexe)", false),
        ("proc.name == anyof (myexe, bash)", true),
        ("proc.name == anyof (bash, sh)", false),
        ("proc.name == anyof (myexe, myexe)", true),
        ("proc.name == allof (myexe)", true),
        ("proc.name == allof (myexe, bash)", false),
        ("proc.name == allof (myexe, myexe)", true),
        // !=
        ("proc.name != oneof (myexe, myexe, bash)", true),
        ("proc.name != oneof (myexe, myexe)", false),
        ("proc.name != oneof (bash, sh)", false),
        ("proc.name != oneof (myexe, bash)", true),
        ("proc.name != anyof (bash, sh)", true),
        ("proc.name != allof (bash, sh)", true),
        ("proc.name != allof (myexe, bash)", false),
        // contains / icontains
        ("proc.name contains oneof (myex, bash)", true),
        ("proc.name contains oneof (my, exe)", false),
        ("proc.name contains anyof (my, exe)", true),
        ("proc.name contains allof (my, exe)", true),
        ("proc.name contains allof (myex, bash)", false),
        ("proc.name icontains oneof (MYEX, BASH)", true),
        ("proc.name icontains allof (MY, EXE)", true),
        ("proc.name icontains anyof (BASH, SH)", false),
        // startswith / endswith
        ("proc.name startswith oneof (my, mye)", false),
        ("proc.name startswith allof (my, mye)", true),
        ("proc.name startswith anyof (bash, sh)", false),
        ("proc.name endswith oneof (exe, sh)", true),
        ("proc.name endswith oneof (exe, yexe)", false),
        ("proc.name endswith allof (exe, yexe)", true),
        // glob / iglob / regex
        ("proc.name glob oneof (my*, bash)", true),
        ("proc.name glob oneof (my*, *exe)", false),
        ("proc.name glob allof (my*, *exe)", true),
        ("proc.name iglob anyof (MY*, *EXE)", true),
        ("proc.name iglob allof (BASH, SH*)", false),
        ("proc.name regex oneof (my.*, b.*)", true),
        ("proc.name regex oneof (my.*, .*exe)", false),
        ("proc.name regex allof (my.*, .*exe)", true),
        ("proc.name regex anyof (b.*, sh.*)", false),
        // transformer on the left, compound expressions
        ("toupper(proc.name) == oneof (MYEXE, BASH)", true),
        ("toupper(proc.name) != oneof (BASH, SH)", false),
        ("toupper(proc.name) != allof (MYEXE, BASH)", false),
        ("proc.name == oneof (myexe) and proc.name != allof (bash, sh)", true),
        ("proc.name == anyof (myexe, bash) or proc.name != oneof (myexe)", true),
        // an empty list never matches, whatever the modifier
        ("proc.name == oneof ()", false),
        ("proc.name == anyof ()", false),
        ("proc.name == allof ()", false),
        ("proc.name != allof ()", false),
        // a missing field makes the check false; an ancestor field matches through any ancestor
        ("proc.pname == anyof (bash)", false),
        ("not proc.pname != allof (bash)", true),
        ("proc.aname == oneof (systemd, init)", true),
        ("proc.aname startswith allof (sys, s)", true),
        // join
        ("join(fd.name, (fd.name,fd.directory)) = /tmp/file_to_run/tmp/file_to_run/tmp", true),
        ("join(\"-\", (fd.name,fd.directory)) = /tmp/file_to_run-/tmp", true),
        ("join(\"-\", (\"aaa\",\"bbb\")) = aaa-bbb", true),
        ("join(\"->\", (\"aaa\")) = aaa", true),
        ("join(\"->\", (fd.name, \"aaa\", fd.directory)) = /tmp/file_to_run->aaa->/tmp", true),
        ("join(\"->\", ( \"aaa\", toupper(fd.name))) = aaa->/TMP/FILE_TO_RUN", true),
        ("join(\"-\", (fd.directory, join(\"->\", ( \"aaa\", toupper(fd.name))))) = /tmp-aaa->/TMP/FILE_TO_RUN", true),
        ("join(\",\", (\"aaa\",\"bbb\")) = \"aaa-bbb\"", false),
        ("join(\",\", (evt.num, evt.num)) = \"1,1\"", true),
        ("join(\",\", ()) = \"\"", true),
        ("join(\",\", ()) = \",\"", false),
        ("join(\",\", fd.types) = \"file,ipv4\"", true),
        ("join(\",\", (fd.name, proc.pname)) exists", false),
        // concat
        ("concat(fd.name, fd.directory) = /tmp/file_to_run/tmp", true),
        ("concat(\"aaa\", \"bbb\", \"ccc\") = aaabbbccc", true),
        ("concat(fd.name, \"aaa\", fd.directory) = /tmp/file_to_runaaa/tmp", true),
        ("concat(fd.directory, concat(\"aaa\", toupper(fd.name))) = /tmpaaa/TMP/FILE_TO_RUN", true),
        ("concat(\"aaa\", \"bbb\") = \"aaa-bbb\"", false),
        ("concat(fd.name, proc.pname) exists", false),
        // transformers over join and concat
        ("toupper(join(\"-\", (fd.name, fd.directory))) = /TMP/FILE_TO_RUN-/TMP", true),
        ("len(join(\"-\", (fd.name, fd.directory))) = 21", true),
        ("b64(join(\"W\", (\"YWFhL\", \"JiYg\"))) = \"aaa-bbb\"", true),
        ("len(concat(fd.name, fd.directory)) = 20", true),
        ("b64(concat(\"YWFh\", \"YmJi\")) = \"aaabbb\"", true),
        ("toupper(concat(fd.name, fd.directory)) startswith /TMP", true),
        ("fd.name = concat(fd.directory, \"/file_to_run\")", true),
        // basename as libsinsp has it: the bytes after the last '/'
        ("basename(fd.name) = file_to_run", true),
        ("basename(fd.directory) = tmp", true),
    ]

    static func compile(_ condition: String) -> RuleLoader.Result {
        Fixtures.load("- rule: R\n  desc: d\n  condition: \(QuotedText.quote(condition))\n  output: x\n  priority: INFO\n  warn_evttypes: false\n")
    }

    @Test(arguments: cases)
    func evaluates(_ condition: String, _ expected: Bool) throws {
        let result = Self.compile(condition)
        #expect(result.errors.isEmpty, "\(result.errors)")
        let compiled = try #require(result.ruleSet["R"]?.condition)
        #expect(ReferenceEvaluator.evaluate(compiled, on: Self.event) == expected, "\(compiled)")
    }

    /// Argument mistakes libsinsp refuses when it compiles a filter: code, message, column of the
    /// condition (1-based; the condition is a literal block on line 4, indented by 4).
    static let refused: [(String, String, String, Int)] = [
        ("join(\"-\") = foo", "PR324", "join() needs exactly 2 arguments, a separator and a list, but has 1", 1),
        ("join(\"-\", \"a\", \"b\") = foo", "PR324", "join() needs exactly 2 arguments, a separator and a list, but has 3", 1),
        ("join(fd.types, (\"a\", \"b\")) = foo", "PR324", "the separator of join() must be a single value, but 'fd.types' is a list", 6),
        ("join((\"a\", \"b\"), (\"a\", \"b\")) = foo", "PR324", "the separator of join() must be a single value, but '(\"a\", \"b\")' is a list", 6),
        ("join(\"a\", \"b\") = foo", "PR324", "the second argument of join() must be a list, but '\"b\"' is a single value", 11),
        ("concat(\"aaa\") = foo", "PR324", "concat() needs at least 2 arguments, but has 1", 1),
        ("concat(fd.types, \"a\") = foo", "PR324", "the arguments of concat() must be single text values, but 'fd.types' is a list", 8),
        ("concat(\"a\", (\"a\", \"b\")) = foo", "PR324", "the arguments of concat() must be single text values, but '(\"a\", \"b\")' is a list", 13),
        ("concat(fd.name, evt.num) = foo", "PR324", "the arguments of concat() must be single text values, but 'evt.num' is uint64", 17),
        ("concat(fd.name, fd.nme) = foo", "PR310", "unknown field 'fd.nme'", 17),
        ("proc.name regex anyof (ok, 'b[')", "PR317", "invalid regular expression 'b['", 28),
        ("proc.pid = oneof (1, x)", "PR315", "'x' is not a number, but 'proc.pid' is int64", 22),
        ("proc.pid contains anyof (1)", "PR316", "operator 'contains' needs a text field, but 'proc.pid' is int64", 10),
    ]

    @Test(arguments: refused)
    func refuses(_ condition: String, _ code: String, _ message: String, _ column: Int) throws {
        let result = Fixtures.load("- rule: R\n  desc: d\n  condition: |\n    \(condition)\n  output: x\n  priority: INFO\n  warn_evttypes: false\n")
        let first = try #require(result.errors.first, "accepted: \(condition)")
        #expect(first.code.rawValue == code)
        #expect(first.message == message)
        #expect(first.location.line == 4)
        #expect(first.location.column == column + 4)
    }

    @Test func eventTypesFromAnyofAreNarrowedOthersAreNot() throws {
        let r = Fixtures.load("""
        - rule: A
          desc: d
          condition: evt.type = anyof (execve, openat) and proc.name = x
          output: x
          priority: INFO
        - rule: O
          desc: d
          condition: evt.type = oneof (execve, openat) and proc.name = x
          output: x
          priority: INFO
          warn_evttypes: false
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        let a = try #require(r.ruleSet["A"])
        #expect(a.applies(to: "execve") && a.applies(to: "openat") && !a.applies(to: "mount"))
        let o = try #require(r.ruleSet["O"])
        #expect(o.applies(to: "mount"), "oneof is not narrowed: every event type stays a candidate")
    }
}
