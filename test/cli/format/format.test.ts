/**
 * Edge cases of the psql-compatible formatters without a server; the expected texts were
 * taken from psql 15 (csv.pg.test.ts and table.pg.test.ts compare against it live).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  codePointWidth,
  csvField,
  displayWidth,
  formatCsv,
  formatDisplayLines,
  formatJson,
  formatTable,
  jsonKeys,
  psqlValidate,
  type TextResult,
} from '../../../src/cli/format/index.js'

const INT4 = 23
const NUMERIC = 1700
const TEXT = 25

const text = (names: string[], rows: (string | null)[][]): TextResult => ({
  columns: names.map((name) => ({ name, typeOid: TEXT })),
  rows,
})

describe('csvField', () => {
  it('leaves plain, spaced, tabbed and empty values bare', () => {
    for (const v of ['abc', ' a ', '\t', '', 'a;b', "it's", '\\', '.', 'NULL', '漢字']) {
      expect(csvField(v)).toBe(v)
    }
  })

  it('quotes the separator, double quotes, CR and LF, doubling quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('"')).toBe('""""')
    expect(csvField('a\nb')).toBe('"a\nb"')
    expect(csvField('a\rb')).toBe('"a\rb"')
    expect(csvField('\r\n')).toBe('"\r\n"')
  })

  it('quotes exactly \\. (COPY end-of-data) but not look-alikes', () => {
    expect(csvField('\\.')).toBe('"\\."')
    expect(csvField('\\.x')).toBe('\\.x')
    expect(csvField(' \\.')).toBe(' \\.')
  })
})

describe('formatCsv', () => {
  it('prints a header and LF-terminated rows', () => {
    expect(
      formatCsv(
        text(
          ['a', 'b'],
          [
            ['1', 'x'],
            ['2', 'y'],
          ],
        ),
      ),
    ).toBe('a,b\n1,x\n2,y\n')
  })

  it('prints NULL and empty strings as empty unquoted fields', () => {
    expect(formatCsv(text(['a', 'b', 'c'], [[null, '', null]]))).toBe('a,b,c\n,,\n')
  })

  it('applies \\pset null, quoting it when needed', () => {
    expect(formatCsv(text(['a'], [[null]]), { nullDisplay: 'N,A' })).toBe('a\n"N,A"\n')
  })

  it('quotes header names like values', () => {
    expect(formatCsv(text(['a,b', 'q"', 'x\ny', ' s '], []))).toBe('"a,b","q""","x\ny", s \n')
  })

  it('prints only the header line for no rows, and one empty line for no columns', () => {
    expect(formatCsv(text(['only'], []))).toBe('only\n')
    expect(formatCsv({ columns: [], rows: [[], []] })).toBe('\n')
  })

  it('drops supplementary-plane noncharacters like psql, keeps U+FFFE', () => {
    expect(formatCsv(text(['v'], [['a\u{1fffe}b\u{10ffff}c\ufffe']]))).toBe('v\nabc\ufffe\n')
  })

  it('rejects a row with the wrong number of values', () => {
    expect(() => formatCsv(text(['a', 'b'], [['1']]))).toThrow(
      'row 1 has 1 values, but the result has 2 columns',
    )
  })

  it('round-trips through an RFC 4180 reader (NULL and empty aside)', () => {
    const parse = (csv: string): string[][] => {
      const rows: string[][] = []
      let row: string[] = []
      let field = ''
      let i = 0
      while (i < csv.length) {
        const c = csv[i]!
        if (c === '"') {
          i += 1
          while (i < csv.length) {
            if (csv[i] === '"' && csv[i + 1] === '"') {
              field += '"'
              i += 2
            } else if (csv[i] === '"') {
              i += 1
              break
            } else {
              field += csv[i]
              i += 1
            }
          }
        } else if (c === ',') {
          row.push(field)
          field = ''
          i += 1
        } else if (c === '\n') {
          row.push(field)
          rows.push(row)
          row = []
          field = ''
          i += 1
        } else {
          field += c
          i += 1
        }
      }
      return rows
    }
    const value = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '\\', '.', 'é') })
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { maxLength: 5 }), (rows) => {
        const csv = formatCsv(text(['a', 'b', 'c'], rows))
        expect(parse(csv)).toEqual([['a', 'b', 'c'], ...rows])
      }),
    )
  })
})

describe('display width', () => {
  it('gives psql widths: controls -1, combining 0, wide 2, others 1', () => {
    expect(codePointWidth(0)).toBe(0)
    expect(codePointWidth(0x01)).toBe(-1)
    expect(codePointWidth(0x7f)).toBe(-1)
    expect(codePointWidth(0x9f)).toBe(-1)
    expect(codePointWidth(0xa0)).toBe(1)
    expect(codePointWidth(0x301)).toBe(0)
    // format characters (Cf) such as U+200B only became zero-width in PostgreSQL 16
    expect(codePointWidth(0x200b)).toBe(1)
    expect(codePointWidth('漢'.codePointAt(0)!)).toBe(2)
    expect(codePointWidth('한'.codePointAt(0)!)).toBe(2)
    expect(codePointWidth('ｱ'.codePointAt(0)!)).toBe(1)
    expect(codePointWidth('Ａ'.codePointAt(0)!)).toBe(2)
    expect(codePointWidth('😀'.codePointAt(0)!)).toBe(2)
    expect(codePointWidth(0x110000)).toBe(-1)
    expect(displayWidth('e\u0301漢a')).toBe(4)
  })

  it('splits lines, expands tabs to 8 and escapes CR and controls', () => {
    expect(formatDisplayLines('a\tb')).toEqual([{ text: 'a       b', width: 9 }])
    expect(formatDisplayLines('12345678\tx')).toEqual([{ text: '12345678        x', width: 17 }])
    expect(formatDisplayLines('c\rd')).toEqual([{ text: 'c\\rd', width: 4 }])
    expect(formatDisplayLines('\u0001\u007f')).toEqual([{ text: '\\x01\\x7F', width: 8 }])
    expect(formatDisplayLines('\u0080\u009f')).toEqual([{ text: '\\u0080\\u009F', width: 12 }])
    expect(formatDisplayLines('x\n\n漢')).toEqual([
      { text: 'x', width: 1 },
      { text: '', width: 0 },
      { text: '漢', width: 2 },
    ])
    expect(formatDisplayLines('')).toEqual([{ text: '', width: 0 }])
  })

  it('drops only U+xFFFE/U+xFFFF of planes 1-16', () => {
    expect(psqlValidate('\ufffe\uffff\u{1fffd}')).toBe('\ufffe\uffff\u{1fffd}')
    expect(psqlValidate('a\u{1fffe}\u{2ffff}\u{10fffe}b')).toBe('ab')
  })
})

describe('formatTable', () => {
  it('centres headers and right-aligns numeric columns', () => {
    const result: TextResult = {
      columns: [
        { name: 'n', typeOid: INT4 },
        { name: 'name', typeOid: TEXT },
        { name: 'amount', typeOid: NUMERIC },
      ],
      rows: [
        ['1', 'alice', '2.50'],
        ['12345', 'bob', null],
      ],
    }
    expect(formatTable(result)).toBe(
      [
        '   n   | name  | amount ',
        '-------+-------+--------',
        '     1 | alice |   2.50',
        ' 12345 | bob   |       ',
        '(2 rows)',
        '',
        '',
      ].join('\n'),
    )
  })

  it('puts the odd centring space on the right of a header', () => {
    expect(formatTable(text(['ab'], [['abcde']]))).toBe('  ab   \n-------\n abcde\n(1 row)\n\n')
  })

  it('does not pad the last left-aligned column but pads every header', () => {
    expect(
      formatTable(
        text(
          ['a', 'b'],
          [
            ['x', 'y'],
            ['', ''],
          ],
        ),
      ),
    ).toBe(' a | b \n---+---\n x | y\n   | \n(2 rows)\n\n')
  })

  it('treats columns without a type OID, or with a domain OID, as left-aligned', () => {
    const result: TextResult = { columns: [{ name: 'v' }, { name: 'w', typeOid: 16385 }], rows: [['1', '2']] }
    expect(formatTable(result)).toBe(' v | w \n---+---\n 1 | 2\n(1 row)\n\n')
  })

  it('marks continued lines of multi-line values and headers with +', () => {
    const result: TextResult = {
      columns: [
        { name: 'm', typeOid: TEXT },
        { name: 'multi\nhead', typeOid: TEXT },
      ],
      rows: [['x\ny\nzz', 'last']],
    }
    expect(formatTable(result)).toBe(
      [
        ' m  | multi+',
        '    | head  ',
        '----+-------',
        ' x +| last',
        ' y +| ',
        ' zz | ',
        '(1 row)',
        '',
        '',
      ].join('\n'),
    )
  })

  it('pads a multi-line last column before its + marker', () => {
    expect(formatTable(text(['v'], [['a\nbcd']]))).toBe('  v  \n-----\n a  +\n bcd\n(1 row)\n\n')
  })

  it('counts wide characters as two columns', () => {
    expect(formatTable(text(['漢字', 'x'], [['a', '日本語']]))).toBe(
      ' 漢字 |   x    \n------+--------\n a    | 日本語\n(1 row)\n\n',
    )
  })

  it('prints a zero-column result as a bare rule', () => {
    expect(formatTable({ columns: [], rows: [[]] })).toBe('--\n(1 row)\n\n')
    expect(formatTable({ columns: [], rows: [] })).toBe('--\n(0 rows)\n\n')
  })

  it('prints the header and rule for zero rows', () => {
    expect(formatTable(text(['abc'], []))).toBe(' abc \n-----\n(0 rows)\n\n')
  })

  it('centres a title over the table and leaves a wide one as is', () => {
    const r = text(['a', 'b'], [['hello', 'world']])
    expect(formatTable(r, { title: 'T' })).toBe(
      '       T\n   a   |   b   \n-------+-------\n hello | world\n(1 row)\n\n',
    )
    expect(formatTable(r, { title: 'a very long title indeed' }).split('\n')[0]).toBe(
      'a very long title indeed',
    )
    expect(formatTable(r, { title: '' }).split('\n')[0]).toBe('       ')
  })

  it('prints \\pset null for NULL', () => {
    expect(formatTable(text(['a'], [[null], ['']]), { nullDisplay: '(null)' })).toBe(
      '   a    \n--------\n (null)\n \n(2 rows)\n\n',
    )
  })

  it('rejects a row with the wrong number of values', () => {
    expect(() => formatTable(text(['a'], [['1', '2']]))).toThrow(RangeError)
  })

  it('lines up every line of a table of random values', () => {
    const value = fc.option(fc.string({ unit: fc.constantFrom('a', 'bb', '漢', ' ', 'é', '\u0301') }), {
      nil: null,
    })
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) =>
            fc
              .array(fc.array(value, { minLength: n, maxLength: n }), { maxLength: 6 })
              .map((rows) => ({ n, rows })),
          ),
        ({ n, rows }) => {
          const names = Array.from({ length: n }, (_, i) => `c${i}`)
          const lines = formatTable(text(names, rows)).split('\n')
          const rule = lines[1]!
          const bars = [...rule].flatMap((c, i) => (c === '+' ? [i] : []))
          for (const line of lines.slice(2, 2 + rows.length)) {
            let col = 0
            const positions: number[] = []
            for (const ch of line) {
              if (ch === '|') positions.push(col)
              col += displayWidth(ch)
            }
            expect(positions).toEqual(bars)
          }
          expect(lines.at(-3)).toBe(`(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`)
        },
      ),
    )
  })
})

describe('formatJson', () => {
  it('prints one line of row objects with text values and null', () => {
    const result: TextResult = {
      columns: [
        { name: 'id', typeOid: INT4 },
        { name: 'name', typeOid: TEXT },
      ],
      rows: [
        ['1', 'a "quoted"\nname'],
        ['2', null],
      ],
    }
    expect(formatJson(result)).toBe('[{"id":"1","name":"a \\"quoted\\"\\nname"},{"id":"2","name":null}]\n')
  })

  it('keeps the empty string apart from NULL', () => {
    expect(formatJson(text(['a', 'b'], [['', null]]))).toBe('[{"a":"","b":null}]\n')
  })

  it('prints [] for no rows and {} for no columns', () => {
    expect(formatJson(text(['a'], []))).toBe('[]\n')
    expect(formatJson({ columns: [], rows: [[]] })).toBe('[{}]\n')
  })

  it('keeps column order, also for integer-like names and __proto__', () => {
    const out = formatJson(text(['b', '1', '__proto__', 'constructor'], [['x', 'y', null, 'z']]))
    expect(out).toBe('[{"b":"x","1":"y","__proto__":null,"constructor":"z"}]\n')
  })

  it('suffixes repeated column names with _2, _3 … skipping names in use', () => {
    expect(jsonKeys(['a', 'a', 'a'])).toEqual(['a', 'a_2', 'a_3'])
    expect(jsonKeys(['a', 'a', 'a_2'])).toEqual(['a', 'a_3', 'a_2'])
    expect(jsonKeys(['?column?', '?column?'])).toEqual(['?column?', '?column?_2'])
    expect(jsonKeys(['a_2', 'a', 'a', 'a_2'])).toEqual(['a_2', 'a', 'a_3', 'a_2_2'])
    expect(formatJson(text(['a', 'a'], [['1', '2']]))).toBe('[{"a":"1","a_2":"2"}]\n')
  })

  it('always gives distinct keys and parses back to the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'a_2', 'b', '1', '__proto__', ''), { minLength: 1, maxLength: 8 }),
        fc.string(),
        (names, value) => {
          const keys = jsonKeys(names)
          expect(new Set(keys).size).toBe(keys.length)
          const parsed: unknown = JSON.parse(formatJson(text(names, [names.map(() => value)])))
          expect(Array.isArray(parsed)).toBe(true)
          const row = (parsed as Record<string, unknown>[])[0]!
          expect(Object.keys(row).length).toBe(names.length)
        },
      ),
    )
  })
})
