"""Backups of the service's database, and bringing one up on a new machine (`cts backup`, `cts restore`).

The database holds what cannot be had again: the custodial wallet keys (encrypted under the master key,
which is never in the database nor in a backup) and the relayer's outbox. So:

- ``backup_database`` writes a consistent copy while the service runs: SQLite's online backup API (one
  step, a read snapshot: WAL lets the service go on writing meanwhile), or ``pg_dump -Fc`` for PostgreSQL,
  run on a snapshot exported by a REPEATABLE READ transaction that also counts what the copy holds. Beside
  the copy, ``OUT.json`` says what it holds: the schema revision, the fingerprints of the master keys the
  wallet keys are encrypted under (never a key), counts of people, wallets and actions by status, the time
  and the copy's SHA-256. Both files are written to a temporary name and renamed into place.
- ``restore_database`` brings a backup up as the configured database (``CTS_DATABASE_URL``). It refuses a
  database that is not empty (unless forced), checks that the configured master key decrypts every wallet
  key and refuses (leaving the target as it was) if it does not, runs the migrations, and reconciles the
  actions that were live at backup time with the chain, before the service sends anything:

  * an action *submitted* at backup time has its signed transaction in the outbox; the restored worker
    sends those same bytes again (same sponsor nonce: only one can ever be mined) or finds their receipt,
    and reads the forwarder's nonce of the signer before signing anything again. The restore keeps that
    state as it is (batches, attempts, request nonces): nothing here resets it.
  * an action *queued* at backup time that the old service sent afterwards would be signed afresh, with
    the signer's next forwarder nonce, and run a second time. The restore reads the forwarder's
    ``ExecutedForwardRequest`` events of the signers of live actions since the backup, decodes the requests
    that ran with nonces the backup does not know, and marks each live action whose very call (signer,
    contract, call data) ran successfully as confirmed, with that transaction. A request that ran and
    failed is left to the worker (sent again: refused again by the same rule, or run if it only lacked gas).

Nothing here prints or stores a password or a key.

The parts: ``files`` (the format, the sidecar, careful file handling), ``writer`` (``backup_database``),
``restorer`` (``restore_database``), ``pgdump`` (reading a pg_dump archive without restoring it), ``keys``
(the master key check), ``reconcile`` (the chain, after a restore) and ``cli`` (the commands).
"""

from cts.backup.cli import add_commands
from cts.backup.files import BackupError, sidecar_path
from cts.backup.restorer import restore_database
from cts.backup.writer import backup_database

__all__ = ["BackupError", "add_commands", "backup_database", "restore_database", "sidecar_path"]
