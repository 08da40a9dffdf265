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
        ("join(proc.args) = x", "PR110", "'join' is not a field transformer", 0),
        ("proc.name = concat(proc.args)", "PR110", "'concat' is not a field transformer", 12),
        ("val(proc.name) = x", "PR110", "'val' can only be used on the right of an operator", 0),
        ("tolower(proc.name = x", "PR104", "expected ')' but found '='", 18),
        ("tolower(x) = y", "PR101", "expected a field inside 'tolower(...)'", 8),
        ("proc.name in (a,, b)", "PR103", "expected a value after 'in' but found ','", 16),
        ("proc.name oneof (a, b)", "PR102", "expected an operator after 'proc.name' but found 'oneof'", 10),
        ("proc.name = oneof(proc.pname)", "PR110", "'oneof' is not a field transformer", 12),
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

    @Test func foreignModifiersGetAHint() {
        guard case .failure(let e) = ConditionParser.parse("k8s.pod.labels allof (a)") else { Issue.record("accepted"); return }
        #expect(e.hint == "Falco has no 'allof'; 'in (a, b)' on a list field needs every value in the set")
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
