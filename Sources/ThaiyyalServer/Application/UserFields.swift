import Foundation
import ThaiyyalCore

/// Field rules for users, shared by tenant creation (the first owner) and the user service.
enum UserFields {
  static func checkEmail(_ email: String, field: String, _ violations: inout Violations) {
    let parts = email.split(separator: "@", omittingEmptySubsequences: false)
    violations.check(
      (3 ... 320).contains(email.utf8.count) && parts.count == 2 && !parts[0].isEmpty
        && parts[1].contains(".")
        && !email.contains(where: \.isWhitespace),
      field,
      "must be an email address"
    )
  }

  static func checkUsername(_ username: String, field: String, _ violations: inout Violations) {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-".utf8)
    violations.check(
      (1 ... 64).contains(username.utf8.count) && username.utf8.allSatisfy(allowed.contains)
        && !username.contains("@"),
      field,
      "must be 1 to 64 letters, digits, '.', '_' or '-'"
    )
  }

  static func checkDisplayName(_ name: String, field: String, _ violations: inout Violations) {
    violations.check(name.count <= 200, field, "must be at most 200 characters")
  }
}
