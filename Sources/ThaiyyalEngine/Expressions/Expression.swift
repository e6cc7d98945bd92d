/// A parsed expression of the workflow expression language (ENGINE.md section 11).
///
/// The original evaluates by splitting strings in a fixed order of attempts; we parse once into
/// this tree and evaluate the tree, so an expression means what it says (see
/// docs/engine-compatibility.md for where the two differ).
public indirect enum Expression: Sendable, Hashable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case null
  /// A name: `input`, `item`, `variables`, `context`, `node`, or a bare name (a field of the
  /// current value, else a variable).
  case name(String)
  /// `base.field`, including `node.<id>` where ids may contain `-`.
  case member(Expression, String)
  /// `base[index]`.
  case index(Expression, Expression)
  /// `function(arguments)`.
  case call(String, [Expression])
  /// `base.method(arguments)`.
  case method(Expression, String, [Expression])
  case unary(UnaryOperator, Expression)
  case binary(BinaryOperator, Expression, Expression)
  /// `condition ? then : else`.
  case conditional(Expression, Expression, Expression)
  /// A comparison with nothing on its left (`>= 18`): the left side is the current value, with
  /// nested `value` fields unwrapped.
  case compareWithInput(BinaryOperator, Expression)
}

public enum UnaryOperator: String, Sendable, Hashable {
  case not = "!"
  case negate = "-"
  case plus = "+"
}

public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
  case or = "||"
  case and = "&&"
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case remainder = "%"

  /// Binding strength: higher binds tighter.
  var precedence: Int {
    switch self {
    case .or: 1
    case .and: 2
    case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: 3
    case .add, .subtract: 4
    case .multiply, .divide, .remainder: 5
    }
  }

  var isComparison: Bool { precedence == 3 }
}
