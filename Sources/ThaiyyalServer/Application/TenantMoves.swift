public import Foundation
public import ThaiyyalCore
public import ThaiyyalStore

/// Moving a tenant from one installation to another: ``export(_:to:options:actor:progress:)``
/// writes everything the tenant owns to one archive, ``importArchive(from:options:actor:progress:)``
/// loads an archive into this installation in one transaction. Both stream: rows are read and
/// written a page at a time, so memory does not grow with the tenant. Both are audited in the
/// tenant's own log. The format is documented in docs/operations.md and versioned by
/// ``TenantArchiveFormat``.
public struct TenantMoves: Sendable {
  let store: any Persistence

  public init(store: any Persistence) {
    self.store = store
  }

  /// What an archive holds beyond the tenant, its users, workflows and audit log.
  public struct ExportOptions: Sendable {
    /// The users' password hashes: without them, imported users sign in only once an admin
    /// sets a new password.
    public var passwordHashes = false
    /// The tenant's executions, with their inputs and results.
    public var executions = false

    public init(passwordHashes: Bool = false, executions: Bool = false) {
      self.passwordHashes = passwordHashes
      self.executions = executions
    }
  }

  /// How an archive is loaded.
  public struct ImportOptions: Sendable {
    /// The slug the tenant takes here, instead of its own.
    public var slug: String?
    /// Whether the tenant gets a new id here (a copy beside the original), instead of its own.
    public var newID = false
    /// The organisation's tenant slug when the installation serves one: a tenant under any other
    /// slug would be unreachable there, and is refused.
    public var organisation: String?

    public init(slug: String? = nil, newID: Bool = false) {
      self.slug = slug
      self.newID = newID
    }
  }

  /// Rows per table, as written or loaded.
  public typealias RowCounts = [ArchiveTable: Int]

  /// Rows read or written so far, reported after every page.
  public typealias Progress = @Sendable (RowCounts) -> Void

  /// Writes the tenant named by `idOrSlug` to `output` from one consistent snapshot, then
  /// records the export in the tenant's audit log.
  ///
  /// - Throws: ``DomainError/notFound(resource:id:)`` for an unknown tenant, or what writing
  ///   `output` threw.
  public func export(
    _ idOrSlug: String,
    to output: FileHandle,
    options: ExportOptions,
    actor: AuditContext,
    progress: @escaping Progress = { _ in }
  ) async throws -> (Tenant, RowCounts) {
    let writer = TenantArchiveFormat.Writer(output)
    let (tenant, counts) = try await store.read { tx in
      guard let tenant = try tx.tenants.find(idOrSlug) else {
        throw DomainError.notFound(resource: "tenant", id: idOrSlug)
      }
      let scoped = try tx.scoped(CrossTenantAccess.scope(of: tenant.id, for: .tenantMove))
      try writer.header(tenant: tenant, options: options, at: actor.time)
      var counts: RowCounts = [:]
      for table in ArchiveTable.allCases where options.executions || table != .executions {
        var after: [ArchiveValue]?
        let limit = Self.pageSize(table)
        counts[table] = 0
        while true {
          let rows = try scoped.archive.rows(of: table, after: after, limit: limit)
          for var row in rows {
            if table == .users && !options.passwordHashes {
              row[Self.passwordHashColumn] = .null
            }
            try writer.row(row, of: table)
          }
          counts[table, default: 0] += rows.count
          progress(counts)
          guard rows.count == limit, let last = rows.last else { break }
          after = table.key.map { last[table.columns.firstIndex(of: $0)!] }
        }
      }
      try writer.trailer(counts)
      return (tenant, counts)
    }
    var changes = AuditChanges()
    changes.set("password_hashes", new: options.passwordHashes ? "included" : "left out")
    changes.set("executions", new: options.executions ? "included" : "left out")
    changes.set("rows", new: Self.describe(counts))
    let entry = actor.entry(
      tenant: tenant.id,
      .tenantExported,
      resourceID: tenant.id.rawValue,
      changes: changes.json
    )
    try await store.write { tx in
      try tx.scoped(CrossTenantAccess.scope(of: tenant.id, for: .tenantMove)).audit.append(entry)
    }
    return (tenant, counts)
  }

  /// Loads the archive `input` holds, in one transaction: all of it, or nothing when anything is
  /// wrong (a clash with a tenant here, a damaged or cut archive, a row the database refuses).
  /// Executions that had not finished are stored failed: the server that ran them is elsewhere.
  ///
  /// - Throws: ``TenantMoveError`` when the tenant's slug, id or custom domain is taken here, or
  ///   the archive cannot be loaded.
  public func importArchive(
    from input: FileHandle,
    options: ImportOptions,
    actor: AuditContext,
    progress: @escaping Progress = { _ in }
  ) async throws -> (Tenant, RowCounts) {
    if let slug = options.slug, !Slug.isValid(slug) {
      throw DomainError.invalidArgument(
        field: "slug",
        reason: "must be 3 to 63 lower-case letters, digits and single dashes, not at either end"
      )
    }
    let reader = TenantArchiveFormat.Reader(input)
    return try await store.write { tx in
      let header = try reader.header()
      let original = header.tenant
      var tenant = original
      if let slug = options.slug { tenant.slug = slug }
      if options.newID { tenant.id = .generate() }
      if let organisation = options.organisation, tenant.slug != organisation {
        throw TenantMoveError.clash(
          "this installation serves one organisation, \(organisation) (multi_tenant.enabled: false): import the tenant with --slug \(organisation), before its server first starts (after thaiyyal migrate)"
        )
      }
      if let existing = try tx.tenants.find(id: tenant.id) {
        throw TenantMoveError.clash(
          "tenant \(tenant.id.rawValue) already exists here (as \(existing.slug)): pass --new-id to import a copy beside it"
        )
      }
      if try tx.tenants.find(tenant.slug) != nil {
        throw TenantMoveError.clash(
          "a tenant with slug \(tenant.slug) already exists here: pass --slug to import it under another slug"
        )
      }
      do {
        try tx.tenants.create(tenant)
      } catch DomainError.alreadyExists(_, let field) {
        throw TenantMoveError.clash(
          "the tenant's \(field.replacingOccurrences(of: "_", with: " ")) is taken by another tenant here"
        )
      }
      let scoped = try tx.scoped(CrossTenantAccess.scope(of: tenant.id, for: .tenantMove))
      var counts: RowCounts = [:]
      var previous: ArchiveTable?
      while let (table, row) = try reader.row() {
        if let previous, previous != table {
          guard Self.order(of: previous) < Self.order(of: table) else {
            throw TenantMoveError.archive(
              line: reader.line,
              "\(table.rawValue) rows after \(previous.rawValue) rows: the archive's tables are out of order"
            )
          }
          progress(counts)
        }
        previous = table
        let values = try Self.prepare(row, of: table, line: reader.line, now: actor.time)
        do {
          try scoped.archive.insert(values, into: table)
        } catch {
          throw TenantMoveError.archive(line: reader.line, "the database refused the row: \(error)")
        }
        counts[table, default: 0] += 1
      }
      try reader.trailer(expecting: counts)
      progress(counts)
      var changes = AuditChanges()
      changes.set("source_tenant", new: original.id.rawValue)
      changes.set("source_slug", new: original.slug)
      changes.set("exported_at", new: String(header.createdAt))
      changes.set("rows", new: Self.describe(counts))
      try scoped.audit.append(
        actor.entry(
          tenant: tenant.id,
          .tenantImported,
          resourceID: tenant.id.rawValue,
          changes: changes.json
        )
      )
      return (tenant, counts)
    }
  }

  /// The stored password hash of a user that may not sign in until an admin sets a password: it
  /// matches no password.
  static let unusablePasswordHash = "!"

  static let passwordHashColumn = ArchiveTable.users.columns.firstIndex(of: "password_hash")!

  /// Rows per page: fewer for tables whose rows can be large (a definition, an execution's
  /// input and result), so a page stays within tens of megabytes whatever the tenant holds.
  static func pageSize(_ table: ArchiveTable) -> Int {
    switch table {
    case .executions: 8
    case .workflowVersions: 32
    default: 500
    }
  }

  static func order(of table: ArchiveTable) -> Int {
    ArchiveTable.allCases.firstIndex(of: table)!
  }

  /// "3 users, 2 workflows, …", for the audit log and the operator.
  public static func describe(_ counts: RowCounts) -> String {
    ArchiveTable.allCases.compactMap { table in counts[table].map { "\($0) \(table.rawValue)" } }
      .joined(separator: ", ")
  }

  /// A row as this installation stores it: a missing password hash becomes an unusable one, a
  /// hash this server would not accept is refused, and an unfinished execution is failed.
  static func prepare(
    _ row: [ArchiveValue],
    of table: ArchiveTable,
    line: Int,
    now: Int64
  ) throws -> [ArchiveValue] {
    var row = row
    switch table {
    case .users:
      switch row[passwordHashColumn] {
      case .null:
        row[passwordHashColumn] = .text(unusablePasswordHash)
      case .text(let hash) where PasswordHasher.parse(hash) != nil || hash == unusablePasswordHash:
        break
      default:
        throw TenantMoveError.archive(
          line: line,
          "a user's password hash is not one this server accepts (scrypt, N at most 2^20)"
        )
      }
    case .executions:
      let columns = table.columns
      let status = columns.firstIndex(of: "status")!
      if row[status] == .text("pending") || row[status] == .text("running") {
        row[status] = .text("failed")
        row[columns.firstIndex(of: "error")!] = .text(
          "interrupted: the tenant moved to another installation before this execution finished"
        )
        row[columns.firstIndex(of: "finished_at")!] = .integer(now)
      }
    default:
      break
    }
    return row
  }
}

/// Why a tenant could not be imported.
public enum TenantMoveError: Error, Sendable, CustomStringConvertible {
  /// The tenant's id, slug or custom domain is taken here.
  case clash(String)
  /// The archive cannot be loaded: damaged, cut short, of another format, or holding a row the
  /// database refuses; `line` is where that was found.
  case archive(line: Int, String)

  public var description: String {
    switch self {
    case .clash(let reason): reason
    case .archive(let line, let reason): "archive line \(line): \(reason)"
    }
  }
}
