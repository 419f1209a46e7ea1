import js from '@eslint/js';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import jupyterPlugin from '@jupyter/eslint-plugin';

// `npm run eslint:check` runs from the repository's root, so that the package's own scripts
// (jupyter_coi/) are linted too: the patterns hold from there and from this folder alike.

/** Slots of a script template, which Python fills with JSON when it renders the script. */
const slots = (...names) =>
  Object.fromEntries(
    names.map(name => [`__JUPYTER_COI_${name}__`, 'readonly'])
  );

export default defineConfig([
  {
    ignores: [
      '**/node_modules',
      '**/lib',
      '**/lib-test',
      '**/coverage',
      '**/*.d.ts',
      // The built labextension.
      'jupyter_coi/labextension'
    ]
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    plugins: {
      jupyter: jupyterPlugin
    }
  },
  jupyterPlugin.configs.recommended,
  {
    rules: {
      'jupyter/no-untranslated-string': 'error',
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: {
        ...globals.browser,
        ...globals.es2015,
        ...globals.node
      },
      parserOptions: {
        // The tests are in tsconfig.test.json only.
        project: ['tsconfig.json', 'tsconfig.test.json'],
        tsconfigRootDir: fileURLToPath(new URL('.', import.meta.url)),
        sourceType: 'module'
      }
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: {
            regex: '^I[A-Z]',
            match: true
          }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off'
    }
  },
  {
    files: ['**/*.mjs', '**/jest.config.js', '**/scripts/*.js'],
    languageOptions: { globals: globals.node }
  },
  {
    // Run by Node as they are, with no build step: CommonJS.
    files: ['**/jest.config.js', '**/scripts/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    // Started from a Blob URL as a module worker (src/pool/script.ts).
    files: ['**/src/pool/worker.js'],
    languageOptions: {
      globals: { ...globals.worker, ...slots('LAYOUT') },
      sourceType: 'module'
    }
  },
  {
    // The service workers of JupyterLite sites and of Sphinx sites (the tail follows the
    // first in the docs' worker); classic scripts, because JupyterLite registers its worker
    // as one and the wrapper runs it with importScripts.
    files: [
      'jupyter_coi/static/js/service-worker.js',
      'jupyter_coi/static/js/docs-worker-tail.js'
    ],
    languageOptions: {
      globals: {
        ...globals.serviceworker,
        ...slots('HEADERS', 'CREDENTIALLESS', 'ORIGINAL')
      },
      sourceType: 'script'
    }
  },
  {
    // The scripts that pages load with a plain <script> tag.
    files: [
      'jupyter_coi/static/js/coi-reload.js',
      'jupyter_coi/static/js/docs-page.js'
    ],
    languageOptions: {
      globals: { ...globals.browser, ...slots('SITE') },
      sourceType: 'script'
    },
    rules: {
      // They are ES5 throughout (`var`, function expressions, a binding in every catch);
      // these rules would mix in later syntax.
      'prefer-arrow-callback': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none' }]
    }
  },
  prettierRecommended,
  {
    // After prettierRecommended, which turns curly off; with "all" it leaves prettier nothing
    // to disagree with.
    rules: { curly: ['error', 'all'] }
  }
]);
