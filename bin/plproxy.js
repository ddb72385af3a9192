#!/usr/bin/env node
// The plproxy command: runs the compiled CLI (npm install builds dist/).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write(
    'plproxy: dist/ is missing; run `npm install` (or `npm run build`) in the plproxy-ts folder first\n',
  )
  process.exit(2)
}
const { runCli } = await import(entry.href)
process.exitCode = await runCli(process.argv.slice(2))
