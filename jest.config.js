// @nestjs/* 12 and the AI SDK ship ES modules only; Jest on Node 20 cannot require them,
// so @swc/jest compiles them to CommonJS along with our own sources.
const esmPackages = ['@nestjs', 'ai', '@ai-sdk', '@standard-schema', '@opentelemetry', 'eventsource-parser', '@vercel', 'zod', '@workflow'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@app/(common|config|database|providers|pricing)$': '<rootDir>/libs/$1/src/index.ts',
    '^@app/(common|config|database|providers|pricing)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Generous for hooks that boot apps and databases on a loaded 2-core CI machine; waits inside
  // tests have their own, shorter deadlines.
  testTimeout: 60000,
  // Keep-alive sockets of the SDK clients and pg pools can outlive a file by a moment; never let CI hang on them.
  forceExit: true,
};
