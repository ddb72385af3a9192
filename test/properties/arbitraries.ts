/** fast-check generators of PL/Proxy body text, valid and not. */
import fc from 'fast-check'

const kw = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((caps) =>
    word
      .split('')
      .map((c, i) => (caps[i] ? c.toUpperCase() : c.toLowerCase()))
      .join(''),
  )

const space = fc.constantFrom(' ', '  ', '\n', '\t', ' -- c\n', ' /* c; */ ', '\r\n')
const ident = fc.constantFrom('a', 'b', 'username', 'ID', 'x_1', 'Ä', 's.t', 'a . b')
const argRef = fc.integer({ min: 0, max: 5 }).map((n) => `$${n}`)
const name = fc.oneof(ident, argRef)
const str = fc.string({ maxLength: 6 }).map((s) => `'${s.replace(/'/g, "''")}'`)

export const sqlToken = fc.oneof(
  ident,
  argRef,
  fc.constantFrom('1', '1.5', '1..2', '(', ')', ',', '::', '||', '+', '*', '=', '<>', '.', '[', ']'),
  str,
  fc.string({ maxLength: 5 }).map((s) => `E'${s.replace(/['\\]/g, '')}'`),
  fc.constantFrom('$$ ; $$', '$t$ $x$ ; $t$', '"q""uoted"', '/* c ; */', '-- c ;\n'),
)

export const sqlText = fc
  .array(fc.tuple(sqlToken, fc.constantFrom('', ' ', '\n')), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.map(([t, s]) => t + s).join(' '))

const call = fc
  .tuple(fc.constantFrom('hashtext', 'pick', 'int4', 'text', 'hashint8'), sqlText)
  .map(([f, rest]) => `${f}(${rest})`)

export const statement = fc.oneof(
  fc.tuple(kw('cluster'), fc.oneof(str, call)).map(([k, v]) => `${k} ${v};`),
  fc.tuple(kw('connect'), fc.oneof(str, name, call)).map(([k, v]) => `${k} ${v};`),
  fc
    .tuple(kw('run'), kw('on'), fc.oneof(fc.nat(9).map(String), kw('all'), kw('any'), name, call))
    .map(([r, o, v]) => `${r} ${o} ${v};`),
  fc
    .tuple(
      kw('split'),
      fc.oneof(
        kw('all'),
        fc.array(name, { minLength: 1, maxLength: 3 }).map((l) => l.join(', ')),
      ),
    )
    .map(([k, v]) => `${k} ${v};`),
  fc.tuple(kw('target'), name).map(([k, v]) => `${k} ${v};`),
  fc.tuple(kw('select'), sqlText).map(([k, v]) => `${k} ${v};`),
)

/** bodies built from the grammar's pieces, with random spacing */
export const body = fc
  .array(fc.tuple(statement, space), { maxLength: 6 })
  .map((parts) => parts.map(([s, sp]) => s + sp).join(''))

/** a body with one random edit: delete, insert or replace a character */
export const mutatedBody = fc
  .tuple(
    body,
    fc.nat(),
    fc.constantFrom('delete', 'insert', 'replace'),
    fc.string({ minLength: 1, maxLength: 2, unit: 'binary-ascii' }),
  )
  .map(([b, at, op, ch]) => {
    const i = b.length ? at % b.length : 0
    if (op === 'delete') return b.slice(0, i) + b.slice(i + 1)
    if (op === 'insert') return b.slice(0, i) + ch + b.slice(i)
    return b.slice(0, i) + ch + b.slice(i + 1)
  })
