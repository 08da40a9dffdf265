import ArgumentParser
import PeregrineRules

/// `peregrine fields`: the field catalogue.
struct FieldsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fields",
        abstract: "List the fields rules can use, with type, argument, event types and whether Peregrine supplies them."
    )

    @Flag(help: "Print JSON.")
    var json = false

    func run() {
        let fields = FieldCatalog.standard.fields
        if json {
            let items = fields.map { f in
                "{\"name\":\(JSONText.string(f.name)),\"type\":\(JSONText.string(f.type.rawValue)),"
                    + "\"argument\":\(JSONText.string(f.argument.rawValue)),\"multiplicity\":\(JSONText.string(f.multiplicity.rawValue)),"
                    + "\"event_types\":" + (f.eventTypes.map { "[" + $0.sorted().map(JSONText.string).joined(separator: ",") + "]" } ?? "null")
                    + ",\"supplied\":\(f.supplied),\"description\":\(JSONText.string(f.description))}"
            }
            print("[\n  " + items.joined(separator: ",\n  ") + "\n]")
            return
        }
        for f in fields {
            var name = f.name
            switch f.argument {
            case .none: break
            case .optionalIndex: name += "[N]?"
            case .requiredIndex: name += "[N]"
            case .optionalKey: name += "[KEY]?"
            case .requiredKey: name += "[KEY]"
            case .indexOrKey: name += f.argumentAfterDot ? ".NAME|[N]" : "[N|KEY]"
            }
            let pad = String(repeating: " ", count: max(1, 34 - name.count))
            let type = f.type.rawValue + String(repeating: " ", count: max(1, 9 - f.type.rawValue.count))
            let events = f.eventTypes.map { " (events: " + $0.sorted().joined(separator: ", ") + ")" } ?? ""
            print("\(name)\(pad)\(type)\(f.supplied ? "" : "[not supplied] ")\(f.description)\(events)")
        }
    }
}
