import GRDB

extension AuditStore {
    /// Named migrations; never edit one after release, add another.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
                        id TEXT NOT NULL UNIQUE,
                        time TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        session TEXT,
                        exchange TEXT,
                        principal TEXT,
                        policy_hash TEXT,
                        canonical TEXT NOT NULL,
                        prev_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX events_session ON events(session);
                    CREATE INDEX events_time ON events(time);
                    CREATE INDEX events_principal ON events(principal);
                    CREATE INDEX events_kind ON events(kind);
                    CREATE INDEX events_policy_hash ON events(policy_hash);
                    CREATE TABLE sink_cursors (
                        name TEXT PRIMARY KEY NOT NULL,
                        seq INTEGER NOT NULL
                    );
                    -- A row here, inside the prune transaction only, lets DELETE through.
                    CREATE TABLE prune_gate (open INTEGER NOT NULL);
                    CREATE TRIGGER events_append_only BEFORE UPDATE ON events
                    BEGIN
                        SELECT RAISE(ABORT, 'audit events are append-only');
                    END;
                    CREATE TRIGGER events_delete_only_by_prune BEFORE DELETE ON events
                    WHEN NOT EXISTS (SELECT 1 FROM prune_gate)
                    BEGIN
                        SELECT RAISE(ABORT, 'audit events are deleted only by chaperone audit prune');
                    END;
                    """)
        }
        return migrator
    }
}
