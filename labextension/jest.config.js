// Unit tests run in Node against the TypeScript sources (no browser, no JupyterLab).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
    // @jupyterlab packages ship ES modules, which Jest's CommonJS runtime cannot require:
    // the texts' default bundle comes from @jupyterlab/translation's null translator.
    '^.+\\.js$': [
      'ts-jest',
      {
        tsconfig: { allowJs: true, module: 'commonjs' },
        isolatedModules: true
      }
    ]
  },
  transformIgnorePatterns: ['/node_modules/(?!@jupyterlab/)']
};
