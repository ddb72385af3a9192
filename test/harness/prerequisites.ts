/**
 * Prerequisite checks for tests that need PostgreSQL or the real PL/Proxy.
 *
 * On a developer's laptop a missing prerequisite skips the suite with a loud
 * warning; with CI=true it fails, because a silent skip proves nothing.
 */
export const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? '')

/** Returns true when the suite must be skipped; throws in CI. */
export function skipUnless(missingReason: string | undefined, what: string): boolean {
  if (!missingReason) return false
  if (inCI) {
    throw new Error(`${what} needs a prerequisite that is missing: ${missingReason} (CI=true, so this fails)`)
  }
  const line = '!'.repeat(78)
  console.warn(
    `\n${line}\n!! SKIPPED: ${what}\n!! because ${missingReason}\n!! (set CI=true to make this a failure)\n${line}\n`,
  )
  return true
}
