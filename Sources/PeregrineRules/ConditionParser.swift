// Grammar of conditions (EBNF), as accepted by Falco's filter parser and by this one:
//
//   Expr        = OrExpr .
//   OrExpr      = AndExpr { "or" AndExpr } .            "or"/"and"/"not" must be followed by a blank or "("
//   AndExpr     = NotExpr { "and" NotExpr } .
//   NotExpr     = { "not" } Check .
//   Check       = "(" Expr ")"
//               | Operand Condition
//               | Identifier .                           a macro name
//   Operand     = Field | Transformer "(" Operand ")" | Combiner "(" Arg { "," Arg } ")" .
//   Transformer = "tolower" | "toupper" | "b64" | "basename" | "len" .
//   Combiner    = "join" | "concat" .
//   Arg         = Number | Quoted | "(" [ Item { "," Item } ] ")" | Operand .
//   Item        = Number | Quoted | Operand .
//   Condition   = "exists"
//               | CmpOp ( Value | Modifier ValueList | "val" "(" Field ")" | Operand )
//               | ListOp ( ValueList | Identifier | "val" "(" Field ")" | Operand ) .
//   CmpOp       = "=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "icontains"
//               | "bcontains" | "startswith" | "bstartswith" | "endswith" | "glob" | "iglob" | "regex" .
//   ListOp      = "in" | "intersects" | "pmatch" .
//   Modifier    = "oneof" | "anyof" | "allof" .           only when a "(" follows
//   ValueList   = "(" [ Value { "," Value } ] ")" .
//   Field       = FieldName [ "[" ( Quoted | ArgBare ) "]" ] .
//   Value       = Quoted | Bare .
//
//   Identifier  = [a-zA-Z][a-zA-Z0-9_]*             FieldName = Identifier ( "." Identifier )+
//   Quoted      = '"' ... '"' | "'" ... "'"          with \" \' \\ \n \t \r \b \f escapes
//   Number      = 0[xX][0-9a-fA-F]+ | [+-]?[0-9]+[.]?[0-9]*([eE][+-][0-9]+)?
//   Bare        = bytes other than blank ( ) , = " '
//   ArgBare     = bytes other than blank [ ] " '
//
// Precedence: not > and > or. Nesting (parentheses, not, transformers) is limited to
// `maxDepth` levels so that hostile input cannot exhaust the stack. The modifiers and the
// argument-list transformers follow falcosecurity/libs (2026): its filterchecks tests
// (`cmp_operator_modifiers.cpp`, `filter_transformer.ut.cpp`) fix their meaning.

/// A syntax error in one condition: a code, a message and the byte offset it points at.
public struct ConditionSyntaxError: Error, Hashable, Sendable {
    public var code: Diagnostic.Code
    public var message: String
    public var offset: Int
    public var hint: String?
}

extension Diagnostic.Code {
    public static let emptyCondition = Diagnostic.Code("PR100", .error)
    public static let expectedCheck = Diagnostic.Code("PR101", .error)
    public static let expectedOperator = Diagnostic.Code("PR102", .error)
    public static let expectedValue = Diagnostic.Code("PR103", .error)
    public static let missingCloseParen = Diagnostic.Code("PR104", .error)
    public static let unterminatedString = Diagnostic.Code("PR105", .error)
    public static let badListSyntax = Diagnostic.Code("PR106", .error)
    public static let badFieldArgument = Diagnostic.Code("PR107", .error)
    public static let trailingText = Diagnostic.Code("PR108", .error)
    public static let tooDeep = Diagnostic.Code("PR109", .error)
    public static let unknownTransformer = Diagnostic.Code("PR110", .error)
    public static let badModifier = Diagnostic.Code("PR111", .error)
}

/// Recursive-descent parser for Falco conditions.
public struct ConditionParser {
    public static let maxDepth = 1000

    /// Words that look like transformers but that this parser does not accept, and why.
    static let foreignFunctions: [String: String] = [
        "lower": "'lower' is not a field transformer",
        "upper": "'upper' is not a field transformer",
        "getopt": "the 'getopt' transformer is not supported by Peregrine",
        "oneof": "'oneof' is a modifier, not a transformer",
        "anyof": "'anyof' is a modifier, not a transformer",
        "allof": "'allof' is a modifier, not a transformer",
    ]
    static let transformerList = "tolower, toupper, b64, basename, len, join, concat (and val for values)"
    static let operatorList = "=, !=, <, <=, >, >=, contains, icontains, bcontains, startswith, bstartswith, endswith, glob, iglob, regex, in, intersects, pmatch, exists"

    var lexer: ConditionLexer
    var depth = 0

    public static func parse(_ text: String) -> Result<ConditionExpr, ConditionSyntaxError> {
        var p = ConditionParser(lexer: ConditionLexer(text))
        do {
            p.lexer.skipBlanks()
            if p.lexer.atEnd {
                throw ConditionSyntaxError(code: .emptyCondition, message: "condition is empty", offset: 0,
                                           hint: "write a condition such as 'evt.type = execve'")
            }
            let e = try p.parseOr()
            p.lexer.skipBlanks()
            if !p.lexer.atEnd {
                let at = p.lexer.position
                let word = p.lexer.wordAt(at)
                let hint: String? = p.lexer.peek == 41 ? "remove the unmatched ')'" : "join checks with 'and' or 'or'"
                throw ConditionSyntaxError(code: .trailingText, message: "unexpected '\(word)' after a complete condition",
                                           offset: at, hint: hint)
            }
            return .success(e)
        } catch let e as ConditionSyntaxError {
            return .failure(e)
        } catch {
            return .failure(ConditionSyntaxError(code: .expectedCheck, message: "\(error)", offset: 0))
        }
    }

    mutating func enter(_ at: Int) throws {
        depth += 1
        if depth > Self.maxDepth {
            throw ConditionSyntaxError(code: .tooDeep, message: "condition nests deeper than \(Self.maxDepth) levels",
                                       offset: at, hint: "split the condition into macros")
        }
    }

    mutating func parseOr() throws -> ConditionExpr {
        lexer.skipBlanks()
        let start = lexer.position
        var items = [try parseAnd()]
        while true {
            let save = lexer.position
            lexer.skipBlanks()
            if lexer.consumeWord("or") {
                items.append(try parseAnd())
            } else {
                lexer.position = save
                break
            }
        }
        return items.count == 1 ? items[0] : .or(items, offset: start)
    }

    mutating func parseAnd() throws -> ConditionExpr {
        lexer.skipBlanks()
        let start = lexer.position
        var items = [try parseNot()]
        while true {
            let save = lexer.position
            lexer.skipBlanks()
            if lexer.consumeWord("and") {
                items.append(try parseNot())
            } else {
                lexer.position = save
                break
            }
        }
        return items.count == 1 ? items[0] : .and(items, offset: start)
    }

    mutating func parseNot() throws -> ConditionExpr {
        lexer.skipBlanks()
        let start = lexer.position
        if lexer.consumeWord("not") {
            try enter(start)
            defer { depth -= 1 }
            return .not(try parseNot(), offset: start)
        }
        return try parseCheck()
    }

    mutating func parseCheck() throws -> ConditionExpr {
        lexer.skipBlanks()
        let start = lexer.position
        guard let b = lexer.peek else {
            throw ConditionSyntaxError(code: .expectedCheck, message: "condition ends where a check was expected",
                                       offset: start, hint: "remove the trailing 'and', 'or' or 'not'")
        }
        if b == 40 {
            try enter(start)
            defer { depth -= 1 }
            lexer.position += 1
            let inner = try parseOr()
            lexer.skipBlanks()
            guard lexer.consume(41) else { throw missingParen(openedAt: start) }
            return inner
        }
        if let operand = try parseTransformerOperand(allowVal: false) {
            return try parseCondition(lhs: operand, start: start)
        }
        if let name = lexer.lexFieldName() {
            let field = try parseFieldArgument(name: name, start: start)
            return try parseCondition(lhs: .field(field), start: start)
        }
        if let id = lexer.lexIdentifier() {
            if id == "and" || id == "or" {
                throw ConditionSyntaxError(code: .expectedCheck, message: "expected a check before '\(id)'", offset: start,
                                           hint: "remove the extra '\(id)'")
            }
            return .macro(id, offset: start)
        }
        let word = lexer.wordAt(start)
        throw ConditionSyntaxError(code: .expectedCheck,
                                   message: "expected a field, a macro name, 'not' or '(' but found '\(word)'",
                                   offset: start, hint: b == 41 ? "remove the unmatched ')'" : nil)
    }

    func missingParen(openedAt: Int) -> ConditionSyntaxError {
        let here = lexer.position
        let found = lexer.atEnd ? "the end of the condition" : "'\(lexer.wordAt(here))'"
        return ConditionSyntaxError(code: .missingCloseParen, message: "expected ')' but found \(found)",
                                    offset: here, hint: "add ')' to close the '(' at offset \(openedAt)")
    }

    mutating func parseFieldArgument(name: String, start: Int) throws -> ConditionExpr.FieldRef {
        guard lexer.peek == 91 else { return .init(name: name, argument: nil, offset: start) }
        lexer.position += 1
        let argStart = lexer.position
        var arg: String
        switch lexer.lexQuoted() {
        case .text(let t): arg = t
        case .unterminated:
            throw ConditionSyntaxError(code: .unterminatedString, message: "quoted string is not closed", offset: argStart,
                                       hint: "add the closing quote")
        case .none:
            guard let bare = lexer.lexBareArgument() else {
                throw ConditionSyntaxError(code: .badFieldArgument, message: "expected an argument inside '[ ]' after '\(name)'",
                                           offset: argStart, hint: nil)
            }
            arg = bare
        }
        guard lexer.consume(93) else {
            throw ConditionSyntaxError(code: .badFieldArgument, message: "expected ']' after the argument of '\(name)'",
                                       offset: lexer.position, hint: "field arguments cannot contain blanks unless quoted")
        }
        return .init(name: name, argument: arg, offset: start)
    }

    /// `tolower(...)` and friends; with `allowVal`, also `val(field)`.
    mutating func parseTransformerOperand(allowVal: Bool) throws -> ConditionExpr.Operand? {
        let start = lexer.position
        guard let end = lexer.identifierEnd(from: start) else { return nil }
        let word = lexer.text(start, end)
        guard lexer.startsCall(word) else { return nil }
        let isVal = word == "val"
        let transformer = FieldTransformer(rawValue: word)
        if transformer == nil && !isVal {
            if let message = Self.foreignFunctions[word] {
                let hint = word.hasSuffix("of") ? "write it after an operator: 'proc.name = \(word) (a, b)'" : "transformers are \(Self.transformerList)"
                throw ConditionSyntaxError(code: .unknownTransformer, message: message, offset: start, hint: hint)
            }
            return nil
        }
        if isVal && !allowVal {
            throw ConditionSyntaxError(code: .unknownTransformer, message: "'val' can only be used on the right of an operator",
                                       offset: start, hint: "write the field itself on the left")
        }
        try enter(start)
        defer { depth -= 1 }
        lexer.position = end
        lexer.skipBlanks()
        _ = lexer.consume(40)
        lexer.skipBlanks()
        if let t = transformer, t.takesArguments {
            var args = [try parseTransformerArgument(of: word)]
            lexer.skipBlanks()
            while lexer.consume(44) {
                lexer.skipBlanks()
                args.append(try parseTransformerArgument(of: word))
                lexer.skipBlanks()
            }
            guard lexer.consume(41) else { throw missingParen(openedAt: start) }
            return .combined(t, args, offset: start)
        }
        let innerStart = lexer.position
        let inner: ConditionExpr.Operand
        if !isVal, let t = try parseTransformerOperand(allowVal: false) {
            inner = t
        } else if let name = lexer.lexFieldName() {
            inner = .field(try parseFieldArgument(name: name, start: innerStart))
        } else {
            throw ConditionSyntaxError(code: .expectedCheck, message: "expected a field inside '\(word)(...)'",
                                       offset: innerStart, hint: nil)
        }
        lexer.skipBlanks()
        guard lexer.consume(41) else { throw missingParen(openedAt: start) }
        return isVal ? inner : .transformed(transformer!, inner, offset: start)
    }

    /// One argument of `join`/`concat`: a number, a quoted string, a field, a transformer or a
    /// parenthesised list of those (lists do not nest).
    mutating func parseTransformerArgument(of word: String, inList: Bool = false) throws -> ConditionExpr.Operand {
        let at = lexer.position
        if let n = lexer.lexNumber() { return .text(n, offset: at) }
        switch lexer.lexQuoted() {
        case .text(let t): return .text(t, offset: at)
        case .unterminated:
            throw ConditionSyntaxError(code: .unterminatedString, message: "quoted string is not closed", offset: at,
                                       hint: "add the closing quote")
        case .none: break
        }
        if !inList, lexer.consume(40) {
            try enter(at)
            defer { depth -= 1 }
            var items: [ConditionExpr.Operand] = []
            lexer.skipBlanks()
            if lexer.consume(41) { return .list(items, offset: at) }
            while true {
                lexer.skipBlanks()
                items.append(try parseTransformerArgument(of: word, inList: true))
                lexer.skipBlanks()
                if lexer.consume(44) { continue }
                if lexer.consume(41) { return .list(items, offset: at) }
                let found = lexer.atEnd ? "the end of the condition" : "'\(lexer.wordAt(lexer.position))'"
                throw ConditionSyntaxError(code: .badListSyntax, message: "expected ',' or ')' in a list but found \(found)",
                                           offset: lexer.position, hint: lexer.atEnd ? "close the list with ')'" : "separate list items with ','")
            }
        }
        if let t = try parseTransformerOperand(allowVal: false) { return t }
        if let name = lexer.lexFieldName() { return .field(try parseFieldArgument(name: name, start: at)) }
        let found = lexer.atEnd ? "the end of the condition" : "'\(lexer.wordAt(at))'"
        let what = inList ? "a field, a transformer, a quoted string or a number" : "a field, a transformer, a quoted string, a number or a list"
        throw ConditionSyntaxError(code: .expectedValue, message: "expected \(what) as an argument of '\(word)' but found \(found)",
                                   offset: at, hint: lexer.atEnd || lexer.peek == 41 ? nil : "quote text arguments: \(word)(\"-\", ...)")
    }

    /// `oneof`/`anyof`/`allof` when a parenthesised list follows; otherwise the word is a value.
    mutating func lexModifier() -> CheckModifier? {
        for m in CheckModifier.allCases {
            let save = lexer.position
            let matched: Bool
            switch m {
            case .oneof: matched = lexer.consumeWord("oneof")
            case .anyof: matched = lexer.consumeWord("anyof")
            case .allof: matched = lexer.consumeWord("allof")
            }
            guard matched else { continue }
            lexer.skipBlanks()
            if lexer.peek == 40 { return m }
            lexer.position = save
            return nil
        }
        return nil
    }

    /// `( v, v, ... )` after a list operator or a modifier; the cursor is on the '('.
    mutating func parseValueList(after op: ComparisonOperator) throws -> [ConditionExpr.Literal] {
        _ = lexer.consume(40)
        var items: [ConditionExpr.Literal] = []
        while true {
            lexer.skipBlanks()
            if lexer.consume(41) { return items }
            items.append(try parseLiteral(after: op))
            lexer.skipBlanks()
            if lexer.consume(44) { continue }
            if lexer.consume(41) { return items }
            let found = lexer.atEnd ? "the end of the condition" : "'\(lexer.wordAt(lexer.position))'"
            throw ConditionSyntaxError(code: .badListSyntax, message: "expected ',' or ')' in a list but found \(found)",
                                       offset: lexer.position, hint: lexer.atEnd ? "close the list with ')'" : "separate list items with ','")
        }
    }

    mutating func parseCondition(lhs: ConditionExpr.Operand, start: Int) throws -> ConditionExpr {
        lexer.skipBlanks()
        let opAt = lexer.position
        guard let op = lexer.lexOperator() else {
            let word = lexer.wordAt(opAt)
            let found = lexer.atEnd ? "the end of the condition" : "'\(word)'"
            let hint: String
            switch word {
            case "oneof", "anyof", "allof": hint = "'\(word)' is a modifier: write it after an operator, as in '\(lhs) = \(word) (a, b)'"
            default: hint = "operators: \(Self.operatorList)"
            }
            throw ConditionSyntaxError(code: .expectedOperator, message: "expected an operator after '\(lhs)' but found \(found)",
                                       offset: opAt, hint: hint)
        }
        func check(_ v: ConditionExpr.Value) -> ConditionExpr {
            .check(.init(lhs: lhs, op: op, value: v, offset: start, operatorOffset: opAt))
        }
        if op.isUnary { return check(.none) }
        lexer.skipBlanks()
        let modifierAt = lexer.position
        if let modifier = lexModifier() {
            if op.takesList {
                throw ConditionSyntaxError(code: .badModifier,
                                           message: "'\(modifier.rawValue)' cannot follow '\(op.rawValue)': modifiers apply to single-value operators",
                                           offset: modifierAt, hint: "write '\(lhs) = \(modifier.rawValue) (a, b)' or drop '\(modifier.rawValue)'")
            }
            let listAt = lexer.position
            let items = try parseValueList(after: op)
            var c = ConditionExpr.Check(lhs: lhs, op: op, value: .list(items, offset: listAt), offset: start, operatorOffset: opAt)
            c.modifier = modifier
            return .check(c)
        }
        let valueAt = lexer.position
        if let operand = try parseTransformerOperand(allowVal: true) {
            return check(.operand(operand))
        }
        if op.takesList {
            if lexer.peek == 40 {
                return check(.list(try parseValueList(after: op), offset: valueAt))
            }
            if let id = lexer.lexIdentifier() { return check(.listName(id, offset: valueAt)) }
            throw ConditionSyntaxError(code: .expectedValue, message: "expected a list after '\(op.rawValue)'",
                                       offset: valueAt, hint: "write '(a, b)' or the name of a list")
        }
        return check(.literal(try parseLiteral(after: op)))
    }

    mutating func parseLiteral(after op: ComparisonOperator) throws -> ConditionExpr.Literal {
        let at = lexer.position
        switch lexer.lexQuoted() {
        case .text(let t): return .init(text: t, quoted: true, offset: at)
        case .unterminated:
            throw ConditionSyntaxError(code: .unterminatedString, message: "quoted string is not closed", offset: at,
                                       hint: "add the closing quote")
        case .none:
            if let bare = lexer.lexBareValue() { return .init(text: bare, quoted: false, offset: at) }
            let found = lexer.atEnd ? "the end of the condition" : "'\(lexer.wordAt(at))'"
            throw ConditionSyntaxError(code: .expectedValue, message: "expected a value after '\(op.rawValue)' but found \(found)",
                                       offset: at, hint: nil)
        }
    }
}
