/**
 * The rows of a raw `query()`: TypeORM's Postgres driver answers SELECT and INSERT with the rows,
 * but UPDATE and DELETE with `[rows, affectedCount]`.
 */
export function queryRows<T>(result: unknown): T[] {
  if (!Array.isArray(result)) return [];
  const pair = result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number';
  return (pair ? result[0] : result) as T[];
}
