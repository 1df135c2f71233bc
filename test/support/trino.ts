import { Parser } from 'node-sql-parser';

/**
 * node-sql-parser's `trino` dialect is the closest grammar to Athena engine 3 it ships, but it lacks
 * three Trino constructs these queries use. Each is swapped for a stand-in of the same shape before
 * parsing, and the real text is asserted verbatim in the tests below:
 *  - it reads `\` in a string literal as an escape (Trino does not), so backslashes are doubled;
 *  - it has no IPADDRESS type;
 *  - its window frames know ROWS only, not RANGE with an interval offset.
 */
export function parseTrino(sql: string): unknown {
  const adapted = sql
    .replaceAll('\\', '\\\\')
    .replaceAll(' AS IPADDRESS)', ' AS VARCHAR)')
    .replace(/RANGE BETWEEN INTERVAL '\d+' (MINUTE|SECOND) PRECEDING AND CURRENT ROW/g, 'ROWS BETWEEN 1 PRECEDING AND CURRENT ROW');
  return new Parser().astify(adapted, { database: 'trino' });
}

