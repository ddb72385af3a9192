/**
 * Asks the shared PostgreSQL 15 what its input and output functions make of a batch of texts, one
 * round trip per batch: a PL/pgSQL function reads each text with the type's input function (a literal
 * cast) and prints it with the type's output function, catching errors one by one.
 */
import pg from 'pg'
import { PgValueError } from '../../../src/runtime/values/index.js'
import { sharedCluster, uniqueDbName } from '../../harness/shared-cluster.js'

/** What reading one text gave: the output function's text, or the error */
export interface Outcome {
  readonly out: string | null
  readonly code: string | null
  readonly message: string | null
  readonly detail: string | null
}

const PROBE_FUNCTION = `
create function probe(typ text, vals text[]) returns table(ord int, res text, code text, msg text, detail text)
language plpgsql as $$
declare
  v text;
  outfn regproc := (select typoutput from pg_type where oid = typ::regtype);
begin
  ord := 0;
  foreach v in array vals loop
    ord := ord + 1;
    res := null; code := null; msg := null; detail := null;
    begin
      execute format('select %s(%L::%s)::text', outfn, v, typ) into res;
    exception when others then
      get stacked diagnostics code = returned_sqlstate, msg = message_text, detail = pg_exception_detail;
      if detail = '' then detail := null; end if;
    end;
    return next;
  end loop;
end $$`

export class PgProbe {
  private constructor(private readonly client: pg.Client) {}

  static async open(prefix: string): Promise<PgProbe> {
    const cluster = sharedCluster()
    const db = uniqueDbName(prefix)
    await cluster.createDatabase(db)
    const client = new pg.Client(cluster.clientConfig(db))
    await client.connect()
    await client.query(PROBE_FUNCTION)
    return new PgProbe(client)
  }

  /** PostgreSQL's outcome of reading each text as `type` (an SQL type name such as `int4[]`). */
  async read(type: string, texts: readonly string[]): Promise<Outcome[]> {
    const res = await this.client.query<{
      res: string | null
      code: string | null
      msg: string | null
      detail: string | null
    }>('select res, code, msg, detail from probe($1, $2::text[]) order by ord', [type, texts])
    return res.rows.map((r) => ({ out: r.res, code: r.code, message: r.msg, detail: r.detail }))
  }

  async query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query<T>(sql, params)).rows
  }

  async close(): Promise<void> {
    await this.client.end()
  }
}

/** Our outcome of the same, from a function returning the output text or throwing a PgValueError */
export function outcome(f: () => string): Outcome {
  try {
    return { out: f(), code: null, message: null, detail: null }
  } catch (e) {
    if (!(e instanceof PgValueError)) throw e
    return { out: null, code: e.sqlstate, message: e.message, detail: e.detail ?? null }
  }
}

/** Text PostgreSQL can hold: no U+0000, no lone surrogates */
export const storable = (s: string): boolean => !s.includes('\u0000') && !/\p{Cs}/u.test(s)
