import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * How configuration changes travel between processes on a real Postgres.
 *
 * A statement-level trigger on each mirrored table calls bf_notify_change(), which sends
 * NOTIFY bf_changes with the table's name: whoever writes (admin app, psql, a script), every
 * listening gateway hears of it once the transaction commits. To put a new table under it,
 * its migration adds:
 *
 *   CREATE TRIGGER <table>_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON <table>
 *     FOR EACH STATEMENT EXECUTE FUNCTION bf_notify_change();
 *
 * and its cache subscribes a TablePoller to the table's name (see apps/gateway/src/sync).
 *
 * The admin app then sends `sync:<id>` on the same channel. Postgres delivers notifications
 * in commit order, so a listener that sees the marker has seen every change committed before
 * it; it acknowledges on bf_change_acks once those changes are applied. The admin API answers
 * when every listener it counted in pg_stat_activity has acknowledged (bounded).
 */
export const CHANGES_CHANNEL = 'bf_changes';
export const ACKS_CHANNEL = 'bf_change_acks';
export const SYNC_MARKER_PREFIX = 'sync:';
/** application_name of a gateway's listening connection: `<prefix> <instance id>`. */
export const LISTENER_APP_PREFIX = 'bf-change-listener';

/** Names one process in acknowledgements and logs; short enough for application_name (63 bytes). */
export function newInstanceId(): string {
  return `${hostname().slice(0, 24)}/${process.pid}/${randomBytes(3).toString('hex')}`;
}
