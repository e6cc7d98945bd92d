/// The version this build reports in `Health/Check` and `thaiyyal --version`.
public enum ServerVersion {
  public static let current = "0.1.0"
}
