import Testing
@testable import PeregrineRules

@Suite struct ConditionParserTests {
    /// Accepted conditions and their canonical form (positions and spacing dropped).
    static let accepted: [(String, String)] = [
        ("proc.name = bash", "proc.name = bash"),
        ("proc.name == bash", "proc.name = bash"),
        ("proc.name=bash", "proc.name = bash"),
        ("proc.name != bash", "proc.name != bash"),
        ("fd.num>=0", "fd.num >= 0"),
        ("fd.num<=-1", "fd.num <= -1"),
        ("proc.pid < 0x10", "proc.pid < 0x10"),
        ("proc.pid > 5", "proc.pid > 5"),
        ("proc.cmdline contains \"pickle.load\"", "proc.cmdline contains \"pickle.load\""),
        ("proc.cmdline icontains 'Torch'", "proc.cmdline icontains \"Torch\""),
        ("evt.buffer bcontains 7f454c46", "evt.buffer bcontains 7f454c46"),
        ("fd.name startswith /dev/nvidia", "fd.name startswith /dev/nvidia"),
        ("evt.buffer bstartswith 7f45", "evt.buffer bstartswith 7f45"),
        ("fd.name endswith .pkl", "fd.name endswith .pkl"),
        ("fd.name glob '/tmp/*.so'", "fd.name glob \"/tmp/*.so\""),
        ("fd.name iglob /TMP/*", "fd.name iglob /TMP/*"),
        ("proc.cmdline regex 'python[0-9]+ .*'", "proc.cmdline regex \"python[0-9]+ .*\""),
        ("proc.name in (bash, sh)", "proc.name in (bash, sh)"),
        ("proc.name in (bash,sh,'a b')", "proc.name in (bash, sh, \"a b\")"),
        ("proc.name in ()", "proc.name in ()"),
        ("proc.name in shell_binaries", "proc.name in shell_binaries"),
        ("proc.name in(bash)", "proc.name in (bash)"),
        ("fd.name pmatch (/etc, /usr/lib)", "fd.name pmatch (/etc, /usr/lib)"),
        ("k8s.pod.labels intersects (a, b)", "k8s.pod.labels intersects (a, b)"),
        ("proc.name exists", "proc.name exists"),
        ("not proc.name exists", "not proc.name exists"),
        ("not(proc.name = a)", "not proc.name = a"),
        ("not not a", "not not a"),
        ("a and b or c", "((a and b) or c)"),
        ("a or b and c", "(a or (b and c))"),
        ("not a and b", "(not a and b)"),
        ("a and (b or c)", "(a and (b or c))"),
        ("(a)or(b)", "(a or b)"),
        ("a and b and c", "(a and b and c)"),
        ("((((a))))", "a"),
        ("proc.aname[2] = sshd", "proc.aname[2] = sshd"),
        ("proc.args[0] = x", "proc.args[0] = x"),
        ("evt.arg.flags contains O_WRONLY", "evt.arg.flags contains O_WRONLY"),
        ("evt.arg[1] = 3", "evt.arg[1] = 3"),
        ("k8s.pod.label[app] = trainer", "k8s.pod.label[app] = trainer"),
        ("k8s.pod.label['app.kubernetes.io/name'] = x", "k8s.pod.label[app.kubernetes.io/name] = x"),
        ("container.mount.dest[/proc*] != \"\"", "container.mount.dest[/proc*] != \"\""),
        ("tolower(proc.name) = bash", "tolower(proc.name) = bash"),
        ("toupper(b64(proc.args)) contains X", "toupper(b64(proc.args)) contains X"),
        ("basename(proc.exepath) = python3", "basename(proc.exepath) = python3"),
        ("len(proc.args) > 100", "len(proc.args) > 100"),
        ("proc.name = val(proc.pname)", "proc.name = val(proc.pname)"),
        ("proc.name in val(proc.pname)", "proc.name in val(proc.pname)"),
        ("proc.name = tolower(proc.pname)", "proc.name = val(tolower(proc.pname))"),
        ("proc.name = \"a\\\"b\"", "proc.name = \"a\\\"b\""),
        ("proc.name = 'it\\'s'", "proc.name = \"it's\""),
        ("proc.cmdline contains \"\\\\d\"", "proc.cmdline contains \"\\\\d\""),
        ("fd.name = \"\"", "fd.name = \"\""),
        ("android or nothing", "(android or nothing)"),
        ("notice and orange", "(notice and orange)"),
        ("spawned_process and container", "(spawned_process and container)"),
        // Modifiers: an operator, then oneof/anyof/allof and a list.
        ("proc.name == oneof (myexe, bash)", "proc.name = oneof (myexe, bash)"),
        ("proc.name != allof (bash, sh)", "proc.name != allof (bash, sh)"),
        ("proc.name contains anyof ('my', exe)", "proc.name contains anyof (\"my\", exe)"),
        ("proc.name regex oneof (my.*, b.*)", "proc.name regex oneof (my.*, b.*)"),
        ("proc.name glob allof(my*,*exe)", "proc.name glob allof (my*, *exe)"),
        ("proc.name = oneof ()", "proc.name = oneof ()"),
        ("toupper(proc.name) != anyof (MYEXE)", "toupper(proc.name) != anyof (MYEXE)"),
        ("proc.name = oneof(proc.pname)", "proc.name = oneof (proc.pname)"),
        // Without a list after it, the word is a plain value.
        ("proc.name = oneof", "proc.name = oneof"),
        ("proc.name = allof and a", "(proc.name = allof and a)"),
        // join and concat.
        ("join(\"-\", (fd.name, fd.directory)) = x", "join(\"-\", (fd.name, fd.directory)) = x"),
        ("join(fd.name, (fd.name,fd.directory)) = x", "join(fd.name, (fd.name, fd.directory)) = x"),
        ("join(',', ()) = \"\"", "join(\",\", ()) = \"\""),
        ("join(\"-\", (fd.directory, join(\"->\", (\"aaa\", toupper(fd.name))))) = x",
         "join(\"-\", (fd.directory, join(\"->\", (\"aaa\", toupper(fd.name))))) = x"),
        ("join(\",\", (evt.num, 0x10, -1.5e+3)) = x", "join(\",\", (evt.num, \"0x10\", \"-1.5e+3\")) = x"),
        ("concat(fd.name, \"aaa\", fd.directory) = x", "concat(fd.name, \"aaa\", fd.directory) = x"),
        ("toupper(concat(fd.name, fd.directory)) startswith /TMP", "toupper(concat(fd.name, fd.directory)) startswith /TMP"),
        ("len(join(\"-\", (fd.name, fd.directory))) > 20", "len(join(\"-\", (fd.name, fd.directory))) > 20"),
        ("proc.name = concat(proc.pname, 1)", "proc.name = val(concat(proc.pname, \"1\"))"),
    ]

    /// Rejected conditions: code, exact message, byte offset.
    static let rejected: [(String, String, String, Int)] = [
        ("", "PR100", "condition is empty", 0),
        ("   ", "PR100", "condition is empty", 0),
        ("proc.name =", "PR103", "expected a value after '=' but found the end of the condition", 11),
        ("proc.name", "PR102", "expected an operator after 'proc.name' but found the end of the condition", 9),
        ("proc.name bash", "PR102", "expected an operator after 'proc.name' but found 'bash'", 10),
        ("(a and b", "PR104", "expected ')' but found the end of the condition", 8),
        ("a and b)", "PR108", "unexpected ')' after a complete condition", 7),
        ("a b", "PR108", "unexpected 'b' after a complete condition", 2),
        ("a and", "PR101", "condition ends where a check was expected", 5),
        ("and a", "PR101", "expected a check before 'and'", 0),
        ("a or or b", "PR101", "expected a check before 'or'", 5),
        ("= x", "PR101", "expected a field, a macro name, 'not' or '(' but found '='", 0),
        ("proc.name = \"abc", "PR105", "quoted string is not closed", 12),
        ("proc.name in (a b)", "PR106", "expected ',' or ')' in a list but found 'b'", 16),
        ("proc.name in (a, b", "PR106", "expected ',' or ')' in a list but found the end of the condition", 18),
        ("proc.name in", "PR103", "expected a list after 'in'", 12),
        ("proc.aname[2 = x", "PR107", "expected ']' after the argument of 'proc.aname'", 12),
        ("proc.aname[] = x", "PR107", "expected an argument inside '[ ]' after 'proc.aname'", 11),
        ("upper(proc.args) = x", "PR110", "'upper' is not a field transformer", 0),
        ("getopt(proc.args, \"n\") = x", "PR110", "the 'getopt' transformer is not supported by Peregrine", 0),
        ("proc.name = anyof(proc.pname", "PR106", "expected ',' or ')' in a list but found the end of the condition", 28),
        ("proc.name in oneof (a)", "PR111", "'oneof' cannot follow 'in': modifiers apply to single-value operators", 13),
        ("proc.name pmatch anyof (/a)", "PR111", "'anyof' cannot follow 'pmatch': modifiers apply to single-value operators", 17),
        ("proc.name exists oneof (a)", "PR108", "unexpected 'oneof' after a complete condition", 17),
        ("proc.name = allof (a b)", "PR106", "expected ',' or ')' in a list but found 'b'", 21),
        ("oneof(proc.name) = x", "PR110", "'oneof' is a modifier, not a transformer", 0),
        ("join() = foo", "PR103", "expected a field, a transformer, a quoted string, a number or a list as an argument of 'join' but found ')'", 5),
        ("join(-, (a)) = x", "PR103", "expected a field, a transformer, a quoted string, a number or a list as an argument of 'join' but found '-,'", 5),
        ("join(\"-\", (fd.name fd.directory)) = x", "PR106", "expected ',' or ')' in a list but found 'fd.directory'", 19),
        ("join(\"-\", (fd.name, (a))) = x", "PR103", "expected a field, a transformer, a quoted string or a number as an argument of 'join' but found '('", 20),
        ("concat(\"a\", \"b) = x", "PR105", "quoted string is not closed", 12),
        ("concat(fd.name, fd.directory = x", "PR104", "expected ')' but found '='", 29),
        ("val(proc.name) = x", "PR110", "'val' can only be used on the right of an operator", 0),
        ("tolower(proc.name = x", "PR104", "expected ')' but found '='", 18),
        ("tolower(x) = y", "PR101", "expected a field inside 'tolower(...)'", 8),
        ("proc.name in (a,, b)", "PR103", "expected a value after 'in' but found ','", 16),
        ("proc.name oneof (a, b)", "PR102", "expected an operator after 'proc.name' but found 'oneof'", 10),
    ]

    @Test(arguments: accepted)
    func accepts(_ text: String, _ canonical: String) throws {
        let e = try ConditionParser.parse(text).get()
        #expect(e.description == canonical)
        // The same condition with different spacing gives the same tree.
        let respaced = try ConditionParser.parse(Self.respace(text)).get()
        #expect(respaced.description == canonical, "respaced: \(Self.respace(text))")
    }

    @Test(arguments: rejected)
    func rejects(_ text: String, _ code: String, _ message: String, _ offset: Int) {
        switch ConditionParser.parse(text) {
        case .success(let e): Issue.record("accepted: \(e)")
        case .failure(let err):
            #expect(err.code.rawValue == code)
            #expect(err.message == message)
            #expect(err.offset == offset)
        }
    }

    @Test func modifierWithoutOperatorGetsAHint() {
        guard case .failure(let e) = ConditionParser.parse("k8s.pod.labels allof (a)") else { Issue.record("accepted"); return }
        #expect(e.hint == "'allof' is a modifier: write it after an operator, as in 'k8s.pod.labels = allof (a, b)'")
    }

    @Test func modifierAndArgumentsKeepTheirPositions() throws {
        guard case .check(let c) = try ConditionParser.parse("proc.name startswith anyof (py, 'ju')").get() else { Issue.record("not a check"); return }
        #expect(c.modifier == .anyof)
        #expect(c.operatorOffset == 10)
        guard case .list(let items, let at) = c.value else { Issue.record("no list"); return }
        #expect(at == 27)
        #expect(items.map(\.offset) == [28, 32])
        guard case .check(let j) = try ConditionParser.parse("join(\"-\", (fd.name, 'x')) = y").get(),
              case .combined(.join, let args, 0) = j.lhs, case .list(let xs, 10) = args[1] else { Issue.record("no join"); return }
        #expect(args[0].offset == 5)
        #expect(xs.map(\.offset) == [11, 20])
    }

    @Test func everyNodeHasAPosition() throws {
        let text = "a and (proc.name = x or not proc.pid in (1, 2))"
        guard case .and(let xs, let o) = try ConditionParser.parse(text).get() else { Issue.record("not and"); return }
        #expect(o == 0)
        #expect(xs[0].offset == 0)
        guard case .or(let ys, let o2) = xs[1] else { Issue.record("not or"); return }
        #expect(o2 == 7)
        #expect(ys[0].offset == 7)
        #expect(ys[1].offset == 24)
        guard case .not(.check(let c), _) = ys[1] else { Issue.record("not not"); return }
        #expect(c.offset == 28)
        #expect(c.operatorOffset == 37)
        guard case .list(let items, let lo) = c.value else { Issue.record("no list"); return }
        #expect(lo == 40)
        #expect(items.map(\.offset) == [41, 44])
    }

    /// Adds blanks wherever the grammar allows them, outside quotes.
    static func respace(_ s: String) -> String {
        var out = ""
        var quote: Character?
        var escaped = false
        var bracket = false
        for ch in s {
            if let q = quote {
                out.append(ch)
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == q { quote = nil }
                continue
            }
            switch ch {
            case "\"", "'": quote = ch; out.append(ch)
            case "[": bracket = true; out.append(ch)
            case "]": bracket = false; out.append(ch)
            case " " where !bracket: out += " \n\t "
            case "(" where !bracket: out += "( "
            case ")" where !bracket: out += " ) "
            case "," where !bracket: out += " , "
            default: out.append(ch)
            }
        }
        return "  " + out + " \n"
    }
}
