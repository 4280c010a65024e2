// Transpile one TypeScript file to CommonJS without type-checking (starter code must run without type libraries).
// Usage: node transpile_ts.js main.ts main.js ; syntax errors are reported like a compiler, exit status 1.
"use strict";
const fs = require("fs");

function loadTypeScript() {
  for (const where of ["typescript", "/usr/share/nodejs/typescript", "/usr/lib/node_modules/typescript"]) {
    try {
      return require(where);
    } catch (error) {
      if (error.code !== "MODULE_NOT_FOUND") throw error;
    }
  }
  throw new Error("the typescript module is not installed");
}

const ts = loadTypeScript();
const [source, target] = process.argv.slice(2);
const output = ts.transpileModule(fs.readFileSync(source, "utf8"), {
  fileName: source,
  reportDiagnostics: true,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: false },
});
const errors = (output.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
for (const diagnostic of errors) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const where = diagnostic.file && diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const position = where ? `(${where.line + 1},${where.character + 1})` : "";
  process.stderr.write(`${source}${position}: error TS${diagnostic.code}: ${message}\n`);
}
if (errors.length) process.exit(1);
fs.writeFileSync(target, output.outputText);
