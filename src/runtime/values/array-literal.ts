/**
 * PostgreSQL array literals (`{1,2,NULL}`, `{{"a b","c\"d"}}`, `[0:1]={x,y}`) read and printed the way
 * PostgreSQL 15's `array_in` and `array_out` do, elements as text (or null), with the element type's
 * delimiter. Reading follows array_in's two passes: `ArrayCount` checks the structure and finds the
 * dimensions (its errors carry PostgreSQL's DETAIL texts), `ReadArrayStr` takes the elements out
 * (removing quotes and backslashes, trimming unquoted whitespace, unquoted `NULL` in any case → null).
 * Element values are not checked here: that is the element type's input function's business.
 *
 * SPLIT uses both halves: an array argument is read into its elements, and each partition gets
 * `printArrayLiteral({ elements })`, a one-dimensional array with lower bound 1.
 */
import { PgValueError, SQLSTATE } from './value-error.js'

/** PostgreSQL's MAXDIM */
export const MAX_ARRAY_DIMENSIONS = 6
/** MaxAllocSize / sizeof(Datum) */
const MAX_ARRAY_SIZE = Math.floor(0x3fffffff / 8)

export interface ArrayLiteral {
  /** number of dimensions; 0 for an empty array */
  readonly ndim: number
  /** length of each dimension (empty for an empty array) */
  readonly dims: readonly number[]
  /** lower bound of each dimension */
  readonly lowerBounds: readonly number[]
  /** the elements in storage (row-major) order: their text, or null */
  readonly elements: readonly (string | null)[]
}

/** array_isspace(): ASCII whitespace, whatever the locale */
const isArraySpace = (ch: string | undefined): boolean =>
  ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f'

function malformed(shown: string, detail?: string): PgValueError {
  return new PgValueError(
    `malformed array literal: "${shown}"`,
    SQLSTATE.invalidTextRepresentation,
    detail === undefined ? {} : { detail },
  )
}

function tooManyDimensions(n: number): PgValueError {
  return new PgValueError(
    `number of array dimensions (${n}) exceeds the maximum allowed (${MAX_ARRAY_DIMENSIONS})`,
    SQLSTATE.programLimitExceeded,
  )
}

const isDimensionChar = (ch: string | undefined): boolean =>
  ch === '+' || ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')

/** C atoi() (strtol truncated to int) of a run of digits and signs */
function atoi(s: string): number {
  const m = /^[+-]?\d+/.exec(s)
  if (!m) return 0
  const digits = m[0].replace(/^[+-]/, '').replace(/^0+(?=.)/, '')
  const negative = m[0].startsWith('-')
  let v = digits.length > 20 ? 1n << 64n : BigInt(digits)
  if (negative) v = -v
  const min = -(1n << 63n)
  const max = (1n << 63n) - 1n
  v = v < min ? min : v > max ? max : v
  return Number(BigInt.asIntN(32, v))
}

enum ParseState {
  NoLevel,
  LevelStarted,
  ElemStarted,
  QuotedElemStarted,
  QuotedElemCompleted,
  ElemDelimited,
  LevelCompleted,
  LevelDelimited,
}

/**
 * ArrayCount: checks the brace structure starting at `start` (a `{`) and returns the dimensions
 * (empty for `{}`). Its messages show the text from `start` on, as PostgreSQL's do.
 */
function arrayCount(text: string, start: number, delimiter: string): number[] {
  const shown = text.slice(start)
  const temp = new Array<number>(MAX_ARRAY_DIMENSIONS).fill(0)
  const nelems = new Array<number>(MAX_ARRAY_DIMENSIONS).fill(1)
  const nelemsLast = new Array<number>(MAX_ARRAY_DIMENSIONS).fill(0)
  let nestLevel = 0
  let ndim = 1
  let inQuotes = false
  let eoArray = false
  let emptyArray = true
  let state = ParseState.NoLevel
  let ptr = start
  while (!eoArray) {
    let itemDone = false
    while (!itemDone) {
      if (state === ParseState.ElemStarted || state === ParseState.QuotedElemStarted) emptyArray = false
      const ch = text[ptr]
      if (ch === undefined) throw malformed(shown, 'Unexpected end of input.')
      if (ch === '\\') {
        if (
          state !== ParseState.LevelStarted &&
          state !== ParseState.ElemStarted &&
          state !== ParseState.QuotedElemStarted &&
          state !== ParseState.ElemDelimited
        ) {
          throw malformed(shown, 'Unexpected "\\" character.')
        }
        if (state !== ParseState.QuotedElemStarted) state = ParseState.ElemStarted
        if (text[ptr + 1] === undefined) throw malformed(shown, 'Unexpected end of input.')
        ptr++
      } else if (ch === '"') {
        if (
          state !== ParseState.LevelStarted &&
          state !== ParseState.QuotedElemStarted &&
          state !== ParseState.ElemDelimited
        ) {
          throw malformed(shown, 'Unexpected array element.')
        }
        inQuotes = !inQuotes
        state = inQuotes ? ParseState.QuotedElemStarted : ParseState.QuotedElemCompleted
      } else if (ch === '{' && !inQuotes) {
        if (
          state !== ParseState.NoLevel &&
          state !== ParseState.LevelStarted &&
          state !== ParseState.LevelDelimited
        ) {
          throw malformed(shown, 'Unexpected "{" character.')
        }
        state = ParseState.LevelStarted
        if (nestLevel >= MAX_ARRAY_DIMENSIONS) throw tooManyDimensions(nestLevel + 1)
        temp[nestLevel] = 0
        nestLevel++
        if (ndim < nestLevel) ndim = nestLevel
      } else if (ch === '}' && !inQuotes) {
        if (
          state !== ParseState.ElemStarted &&
          state !== ParseState.QuotedElemCompleted &&
          state !== ParseState.LevelCompleted &&
          !(nestLevel === 1 && state === ParseState.LevelStarted)
        ) {
          throw malformed(shown, 'Unexpected "}" character.')
        }
        state = ParseState.LevelCompleted
        if (nestLevel === 0) throw malformed(shown, 'Unmatched "}" character.')
        nestLevel--
        if (nelemsLast[nestLevel] !== 0 && nelems[nestLevel] !== nelemsLast[nestLevel]) {
          throw malformed(shown, 'Multidimensional arrays must have sub-arrays with matching dimensions.')
        }
        nelemsLast[nestLevel] = nelems[nestLevel]!
        nelems[nestLevel] = 1
        if (nestLevel === 0) {
          eoArray = true
          itemDone = true
        } else {
          temp[nestLevel - 1]!++
        }
      } else if (!inQuotes && ch !== '{' && ch !== '}') {
        if (ch === delimiter) {
          if (
            state !== ParseState.ElemStarted &&
            state !== ParseState.QuotedElemCompleted &&
            state !== ParseState.LevelCompleted
          ) {
            throw malformed(shown, `Unexpected "${delimiter}" character.`)
          }
          state = state === ParseState.LevelCompleted ? ParseState.LevelDelimited : ParseState.ElemDelimited
          itemDone = true
          nelems[nestLevel - 1]!++
        } else if (!isArraySpace(ch)) {
          if (
            state !== ParseState.LevelStarted &&
            state !== ParseState.ElemStarted &&
            state !== ParseState.ElemDelimited
          ) {
            throw malformed(shown, 'Unexpected array element.')
          }
          state = ParseState.ElemStarted
        }
      }
      if (!itemDone) ptr++
    }
    temp[ndim - 1]!++
    ptr++
  }
  while (ptr < text.length) {
    if (!isArraySpace(text[ptr++])) throw malformed(shown, 'Junk after closing right brace.')
  }
  return emptyArray ? [] : temp.slice(0, ndim)
}

/** ReadArrayStr: the elements, placed by their subscripts (the structure is known to be sound) */
function readArrayStr(
  text: string,
  start: number,
  nitems: number,
  dims: readonly number[],
  delimiter: string,
): (string | null)[] {
  const ndim = dims.length
  const prod = new Array<number>(ndim).fill(1)
  for (let d = ndim - 2; d >= 0; d--) prod[d] = prod[d + 1]! * dims[d + 1]!
  const indx = new Array<number>(MAX_ARRAY_DIMENSIONS).fill(0)
  const offset = (): number => {
    let lin = 0
    for (let d = 0; d < ndim; d++) lin += indx[d]! * prod[d]!
    return lin
  }
  const values = new Array<string | null>(nitems).fill(null)
  let nestLevel = 0
  let inQuotes = false
  let eoArray = false
  let src = start
  while (!eoArray) {
    let itemDone = false
    let leadingSpace = true
    let hasQuoting = false
    let i = -1
    let out = ''
    let significant = 0
    while (!itemDone) {
      const ch = text[src]
      if (ch === undefined) throw malformed(text)
      if (ch === '\\') {
        src++
        const escaped = text[src]
        if (escaped === undefined) throw malformed(text)
        out += escaped
        src++
        leadingSpace = false
        significant = out.length
        hasQuoting = true
      } else if (ch === '"') {
        inQuotes = !inQuotes
        if (inQuotes) leadingSpace = false
        else significant = out.length
        hasQuoting = true
        src++
      } else if (inQuotes) {
        out += ch
        src++
      } else if (ch === '{') {
        if (nestLevel >= ndim) throw malformed(text)
        nestLevel++
        indx[nestLevel - 1] = 0
        src++
      } else if (ch === '}') {
        if (nestLevel === 0) throw malformed(text)
        if (i === -1) i = offset()
        indx[nestLevel - 1] = 0
        nestLevel--
        if (nestLevel === 0) {
          eoArray = true
          itemDone = true
        } else {
          indx[nestLevel - 1]!++
        }
        src++
      } else if (ch === delimiter) {
        if (i === -1) i = offset()
        itemDone = true
        indx[ndim - 1]!++
        src++
      } else if (isArraySpace(ch)) {
        if (!leadingSpace) out += ch
        src++
      } else {
        out += ch
        src++
        leadingSpace = false
        significant = out.length
      }
    }
    if (i < 0 || i >= nitems) throw malformed(text)
    const item = out.slice(0, significant)
    values[i] = !hasQuoting && /^null$/i.test(item) ? null : item
  }
  return values
}

/** ArrayGetNItems and ArrayCheckBounds */
function checkedItemCount(dims: readonly number[], lowerBounds: readonly number[]): number {
  if (dims.length === 0) return 0
  const sizeError = (): PgValueError =>
    new PgValueError(
      `array size exceeds the maximum allowed (${MAX_ARRAY_SIZE})`,
      SQLSTATE.programLimitExceeded,
    )
  let count = 1
  for (const d of dims) {
    if (d < 0) throw sizeError()
    count *= d
    if (count > 2147483647) throw sizeError()
  }
  if (count > MAX_ARRAY_SIZE) throw sizeError()
  dims.forEach((d, k) => {
    const lb = lowerBounds[k] ?? 1
    if (d + lb > 2147483647 || d + lb < -2147483648) {
      throw new PgValueError(`array lower bound is too large: ${lb}`, SQLSTATE.programLimitExceeded)
    }
  })
  return count
}

/**
 * Reads an array literal as PostgreSQL's `array_in` does, with the element type's delimiter.
 * Throws PostgreSQL's errors (`malformed array literal: "…"` with its DETAIL, 22P02; too many
 * dimensions, 54000; `upper bound cannot be less than lower bound`, 2202E).
 */
export function parseArrayLiteral(text: string, delimiter = ','): ArrayLiteral {
  const explicitDims: number[] = []
  const explicitLower: number[] = []
  let p = 0
  for (;;) {
    while (isArraySpace(text[p])) p++
    if (text[p] !== '[') break
    p++
    if (explicitDims.length >= MAX_ARRAY_DIMENSIONS) throw tooManyDimensions(explicitDims.length + 1)
    let q = p
    while (isDimensionChar(text[q])) q++
    if (q === p) throw malformed(text, '"[" must introduce explicitly-specified array dimensions.')
    let lower = 1
    if (text[q] === ':') {
      lower = atoi(text.slice(p, q))
      p = q + 1
      q = p
      while (isDimensionChar(text[q])) q++
      if (q === p) throw malformed(text, 'Missing array dimension value.')
    }
    if (text[q] !== ']') throw malformed(text, 'Missing "]" after array dimensions.')
    const upper = atoi(text.slice(p, q))
    p = q + 1
    if (upper < lower) {
      throw new PgValueError('upper bound cannot be less than lower bound', SQLSTATE.arraySubscriptError)
    }
    explicitDims.push((upper - lower + 1) | 0)
    explicitLower.push(lower)
  }

  let dims: number[]
  let lowerBounds: number[]
  if (explicitDims.length === 0) {
    if (text[p] !== '{') throw malformed(text, 'Array value must start with "{" or dimension information.')
    dims = arrayCount(text, p, delimiter)
    lowerBounds = dims.map(() => 1)
  } else {
    if (text[p] !== '=') throw malformed(text, 'Missing "=" after array dimensions.')
    p++
    while (isArraySpace(text[p])) p++
    if (text[p] !== '{') throw malformed(text, 'Array contents must start with "{".')
    const counted = arrayCount(text, p, delimiter)
    if (counted.length !== explicitDims.length || counted.some((d, k) => d !== explicitDims[k])) {
      throw malformed(text, 'Specified array dimensions do not match array contents.')
    }
    dims = explicitDims
    lowerBounds = explicitLower
  }
  const nitems = checkedItemCount(dims, lowerBounds)
  if (nitems === 0) return { ndim: 0, dims: [], lowerBounds: [], elements: [] }
  return { ndim: dims.length, dims, lowerBounds, elements: readArrayStr(text, p, nitems, dims, delimiter) }
}

/** An element as `array_out` prints it: quoted (with `"` and `\` escaped) when it must be. */
export function quoteArrayElement(element: string | null, delimiter = ','): string {
  if (element === null) return 'NULL'
  let needQuotes = element === '' || /^null$/i.test(element)
  for (let k = 0; k < element.length && !needQuotes; k++) {
    const ch = element[k]
    needQuotes = ch === '"' || ch === '\\' || ch === '{' || ch === '}' || ch === delimiter || isArraySpace(ch)
  }
  return needQuotes ? `"${element.replace(/["\\]/g, '\\$&')}"` : element
}

/** What to print: elements in row-major order; by default one dimension with lower bound 1. */
export interface ArrayContents {
  readonly elements: readonly (string | null)[]
  readonly dims?: readonly number[]
  readonly lowerBounds?: readonly number[]
}

/**
 * Prints an array as PostgreSQL's `array_out` does: `{}` when empty, `[lb:ub]…=` in front when a lower
 * bound is not 1, sub-arrays in braces, elements quoted as needed and separated by the delimiter.
 */
export function printArrayLiteral(array: ArrayContents, delimiter = ','): string {
  const { elements } = array
  const dims = array.dims ?? [elements.length]
  const lowerBounds = array.lowerBounds ?? dims.map(() => 1)
  const count = dims.reduce((a, b) => a * b, dims.length === 0 ? 0 : 1)
  if (count !== elements.length || lowerBounds.length !== dims.length) {
    throw new RangeError(`array dimensions [${dims.join(',')}] do not fit ${elements.length} elements`)
  }
  if (count === 0) return '{}'
  let out = ''
  if (lowerBounds.some((lb) => lb !== 1)) {
    out = dims.map((d, k) => `[${lowerBounds[k]}:${lowerBounds[k]! + d - 1}]`).join('') + '='
  }
  const ndim = dims.length
  const indx = new Array<number>(ndim).fill(0)
  out += '{'
  let j = 0
  let k = 0
  do {
    for (let d = j; d < ndim - 1; d++) out += '{'
    out += quoteArrayElement(elements[k++] ?? null, delimiter)
    let d = ndim - 1
    for (; d >= 0; d--) {
      indx[d]!++
      if (indx[d]! < dims[d]!) {
        out += delimiter
        break
      }
      indx[d] = 0
      out += '}'
    }
    j = d
  } while (j !== -1)
  return out
}
