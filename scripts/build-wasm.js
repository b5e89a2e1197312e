// Compiles the WebAssembly text modules of the code (each `<name>.wat` listed here) into a
// TypeScript module beside it, `<name>.wasm.ts`, which holds the bytes in base64: the build (swc),
// the dist and the tests then need no WebAssembly tooling. Run `npm run build:wasm` after
// editing a .wat file; json-scan.wasm.spec.ts fails while the committed bytes differ.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');

const MODULES = [join(__dirname, '..', 'libs', 'providers', 'src', 'responses', 'json-scan.wat')];

/** The TypeScript module holding the compiled bytes of the .wat file at `watPath`. */
async function wasmModuleText(watPath) {
  const wabt = await require('wabt')();
  const parsed = wabt.parseWat(basename(watPath), readFileSync(watPath, 'utf8'));
  try {
    parsed.validate();
    const { buffer } = parsed.toBinary({});
    return [
      `// Generated from ${basename(watPath)} by \`npm run build:wasm\` (scripts/build-wasm.js): do not edit.`,
      `export const WASM_BASE64 =`,
      `  '${Buffer.from(buffer).toString('base64')}';`,
      '',
    ].join('\n');
  } finally {
    parsed.destroy();
  }
}

async function main() {
  for (const wat of MODULES) writeFileSync(wat.replace(/\.wat$/, '.wasm.ts'), await wasmModuleText(wat));
}

module.exports = { wasmModuleText, MODULES };
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
