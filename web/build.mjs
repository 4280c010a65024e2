// Builds the browser client into an output folder (default ../static/app), reproducibly:
//   assets/  content-hashed JavaScript and CSS (served with long-lived cache headers), the API docs viewer
//   index.html  the page of every client route, referencing the hashed entry files
//   docs.html   the API docs page (swagger-ui-dist, served at /api/docs)
//   manifest.json  entry name -> hashed file, and the size of each file
// Usage: node build.mjs [outdir]
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const here = path.dirname(fileURLToPath(import.meta.url))
const out = path.resolve(process.argv[2] ?? path.join(here, '..', 'static', 'app'))
const assets = path.join(out, 'assets')

await fs.rm(out, { recursive: true, force: true })
await fs.mkdir(assets, { recursive: true })

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  splitting: true, // the room (editor, Yjs) and each language mode load when needed
  format: 'esm',
  minify: true,
  target: ['es2021', 'chrome100', 'firefox100', 'safari15'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  logLevel: 'warning',
})

const outputs = Object.entries(result.metafile.outputs)
const entry = (ext) => {
  const found = outputs.find(([file, info]) => info.entryPoint === 'src/main.js' && file.endsWith(ext))
  const name = found ? path.basename(found[0]) : outputs.map(([f]) => path.basename(f)).find((f) => f.startsWith('app-') && f.endsWith(ext))
  if (!name) throw new Error(`no ${ext} output for the app entry`)
  return name
}
const appJs = entry('.js')
const appCss = entry('.css')

/** Copies a file under a content-hashed name into assets/ and returns that name. */
async function hashed (source, name) {
  const bytes = await fs.readFile(source)
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 10).toUpperCase()
  const ext = path.extname(name)
  const file = `${path.basename(name, ext)}-${digest}${ext}`
  await fs.writeFile(path.join(assets, file), bytes)
  return file
}

const template = await fs.readFile(path.join(here, 'src', 'index.html'), 'utf8')
await fs.writeFile(
  path.join(out, 'index.html'),
  template.replaceAll('%APP_JS%', `/assets/${appJs}`).replaceAll('%APP_CSS%', `/assets/${appCss}`)
)

const swagger = path.join(here, 'node_modules', 'swagger-ui-dist')
const docsJs = await hashed(path.join(swagger, 'swagger-ui-bundle.js'), 'swagger-ui-bundle.js')
const docsCss = await hashed(path.join(swagger, 'swagger-ui.css'), 'swagger-ui.css')
const docsInit = await hashed(path.join(here, 'src', 'docs-init.js'), 'docs-init.js')
const docsTemplate = await fs.readFile(path.join(here, 'src', 'docs.html'), 'utf8')
await fs.writeFile(
  path.join(out, 'docs.html'),
  docsTemplate
    .replaceAll('%DOCS_JS%', `/assets/${docsJs}`)
    .replaceAll('%DOCS_CSS%', `/assets/${docsCss}`)
    .replaceAll('%DOCS_INIT%', `/assets/${docsInit}`)
)

const files = {}
for (const name of (await fs.readdir(assets)).sort()) {
  files[`assets/${name}`] = (await fs.stat(path.join(assets, name))).size
}
const manifest = { entries: { 'app.js': `assets/${appJs}`, 'app.css': `assets/${appCss}` }, files }
await fs.writeFile(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
console.log(`built ${Object.keys(files).length} assets into ${path.relative(process.cwd(), out) || '.'}`)
