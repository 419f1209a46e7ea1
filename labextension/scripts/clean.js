// Removes build output: the compiled library and the prebuilt extension.
// Plain Node so that `npm run clean` needs no extra package.
const fs = require('fs');
const path = require('path');

const here = path.resolve(__dirname, '..');
const targets = [
  path.join(here, 'lib'),
  path.join(here, 'tsconfig.tsbuildinfo'),
  path.join(here, '..', 'jupyter_coi', 'labextension')
];

for (const target of targets) {
  fs.rmSync(target, { recursive: true, force: true });
}
