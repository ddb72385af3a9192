/**
 * PL/Proxy's foreign-data-wrapper validator (plproxy_fdw_validator, spec
 * §5.3): run on CREATE/ALTER of the `plproxy` wrapper, its servers and
 * their user mappings, over the full resulting option list.
 */

export type OptionContext = 'wrapper' | 'server' | 'user mapping'

export interface ValidatorOption {
  readonly name: string
  readonly value?: string
}

export interface ValidatorError {
  readonly message: string
  readonly sqlstate: string
  readonly hint?: string
  /** index of the option that caused it, when one did */
  readonly optionIndex?: number
}

/** Option names accepted on the wrapper and as non-partition server options (case-insensitive). */
export const CLUSTER_CONFIG_OPTIONS = [
  'statement_timeout',
  'connection_lifetime',
  'query_timeout',
  'disable_binary',
  'modular_mapping',
  'keepalive_idle',
  'keepalive_interval',
  'keepalive_count',
] as const

const ULONG_MAX = (1n << 64n) - 1n

/** C strtoul(s, &end, 10) followed by a cast to int; undefined when `end` would not reach the end of s. */
function strtoulToInt(s: string): number | undefined {
  let i = 0
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++
  let negative = false
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-'
    i++
  }
  const digitsStart = i
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++
  if (i === digitsStart) {
    // no conversion: end points at the start of the string
    return s.length === 0 ? 0 : undefined
  }
  if (i !== s.length) return undefined
  let value = BigInt(s.slice(digitsStart, i))
  if (value > ULONG_MAX) value = ULONG_MAX
  else if (negative) value = (ULONG_MAX + 1n - value) & ULONG_MAX
  return Number(BigInt.asIntN(32, value))
}

/** PL/Proxy's partition option names: `p<N>` or `partition_<N>` where strtoul consumes all of <N>. */
export function partitionNumberOf(optionName: string): number | undefined {
  for (const tag of ['p', 'partition_']) {
    if (optionName.startsWith(tag)) {
      const n = strtoulToInt(optionName.slice(tag.length))
      if (n !== undefined) return n
    }
  }
  return undefined
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0
}

/** glibc atoi: strtol (leading whitespace, sign, digits; saturating at the 64-bit range), truncated to int. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(s)
  if (!m) return 0
  let v = BigInt(m[1]!)
  const max = 2n ** 63n - 1n
  if (v > max) v = max
  else if (v < -max - 1n) v = -max - 1n
  return Number(BigInt.asIntN(32, v))
}

function validateClusterOption(name: string, value: string, optionIndex: number): ValidatorError | undefined {
  const lower = name.toLowerCase()
  if (!(CLUSTER_CONFIG_OPTIONS as readonly string[]).includes(lower)) {
    return { message: `Pl/Proxy: invalid server option: ${name}`, sqlstate: 'XX000', optionIndex }
  }
  if (!/^[0-9]*$/.test(value)) {
    return {
      message: `Pl/Proxy: only integer options are allowed: ${name}=${value}`,
      sqlstate: 'XX000',
      optionIndex,
    }
  }
  return undefined
}

/** The first error PL/Proxy's validator raises for this option list, or undefined. */
export function validatePlproxyOptions(
  context: OptionContext,
  options: readonly ValidatorOption[],
): ValidatorError | undefined {
  const total = options.length
  const seen = new Set<number>()
  let partCount = 0
  let modularMapping = 0
  for (const [index, option] of options.entries()) {
    if (option.value === undefined) {
      return {
        message: `Pl/Proxy: option "${option.name}" requires a value`,
        sqlstate: '42601',
        optionIndex: index,
      }
    }
    if (context === 'server') {
      const num = partitionNumberOf(option.name)
      if (num !== undefined) {
        if (num < 0 || num >= total) {
          return {
            message: 'Pl/Proxy: partition numbers must start from 0 and be numbered consecutively',
            sqlstate: '42601',
            hint: `number of options is ${total}, got ${num}`,
            optionIndex: index,
          }
        }
        if (seen.has(num)) {
          return {
            message: `Pl/Proxy: duplicate partition number: ${num}`,
            sqlstate: '42601',
            hint: `got ${num} twice`,
            optionIndex: index,
          }
        }
        seen.add(num)
        partCount++
      } else {
        const err = validateClusterOption(option.name, option.value, index)
        if (err) return err
        if (option.name.toLowerCase() === 'modular_mapping') modularMapping = atoi(option.value)
      }
    } else if (context === 'user mapping') {
      const lower = option.name.toLowerCase()
      if (lower !== 'user' && lower !== 'password') {
        return {
          message: 'Pl/Proxy: invalid option to user mapping',
          sqlstate: '42601',
          hint: 'valid options are "user" and "password"',
          optionIndex: index,
        }
      }
    } else {
      const err = validateClusterOption(option.name, option.value, index)
      if (err) return err
    }
  }
  if (context === 'server') {
    for (let k = 0; k < partCount; k++) {
      if (!seen.has(k))
        return { message: 'Pl/Proxy: missing partition', sqlstate: '42601', hint: `missing number: ${k}` }
    }
    const valid = modularMapping ? partCount > 0 : isPowerOfTwo(partCount)
    if (!valid) {
      return {
        message: 'Pl/Proxy: invalid number of partitions',
        sqlstate: '42601',
        hint: `the number of partitions in a cluster must be power of 2 (attempted ${partCount})`,
      }
    }
  }
  return undefined
}
