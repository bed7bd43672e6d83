// Reads every card_*.jpg of DIR with @gutenye/ocr-node (PP-OCRv4 det + rec,
// the same model files faceprint uses) and prints one JSON line per photo:
// {"file", "ms", "lines": [text…]}. Usage: node run.mjs DIR [LIMIT]
import fs from 'node:fs/promises'
import path from 'node:path'
import Ocr from '@gutenye/ocr-node'

const [dir, limitArg] = process.argv.slice(2)
if (!dir) {
  console.error('usage: node run.mjs DIR [LIMIT]')
  process.exit(2)
}
let files = (await fs.readdir(dir)).filter((f) => /^card_\d+\.jpg$/.test(f)).sort()
if (limitArg) files = files.slice(0, Number(limitArg))
const ocr = await Ocr.create()
// One warm-up read, not counted (session initialisation).
if (files.length) await ocr.detect(path.join(dir, files[0]))
for (const f of files) {
  const t0 = process.hrtime.bigint()
  const res = await ocr.detect(path.join(dir, f))
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  process.stdout.write(JSON.stringify({ file: f, ms, lines: res.map((r) => r.text) }) + '\n')
}
