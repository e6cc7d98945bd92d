extension JSONValue {
  /// Go's `%v` rendering of scalars (numbers per ENGINE.md section 9, null as `<nil>`); containers as
  /// JSON (the original prints Go's map syntax there, which nothing should depend on).
  var text: String {
    switch self {
    case .null: "<nil>"
    case .bool(let value): value ? "true" : "false"
    case .number(let value): GoNumberFormat.text(value)
    case .string(let value): value
    case .array, .object: JSONWriter().string(self)
    }
  }
}
