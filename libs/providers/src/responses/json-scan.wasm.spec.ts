import { readFileSync } from 'node:fs';

// scripts/build-wasm.js is plain JavaScript (run by node, without a compiler).
const { wasmModuleText, MODULES } = require('../../../../scripts/build-wasm') as { wasmModuleText(watPath: string): Promise<string>; MODULES: string[] };

describe('committed WebAssembly modules', () => {
  it.each(MODULES)('%s compiles to the bytes committed beside it (else run `npm run build:wasm`)', async (wat) => {
    expect(readFileSync(wat.replace(/\.wat$/, '.wasm.ts'), 'utf8')).toBe(await wasmModuleText(wat));
  });
});
