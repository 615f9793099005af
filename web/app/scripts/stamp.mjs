// Records the hash of the app's sources beside the build, so that a Go test
// (graph/webapp) fails when the committed build is older than its sources.
// The hash is sources.go's: for each source file, by path, the line
// "<sha256 of its bytes>  <path>\n"; then the sha256 of those lines.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sources = ['index.html', 'package.json', 'package-lock.json', 'vite.config.js', 'scripts', 'src'];

function walk(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) walk(join(path, name), out);
  } else {
    out.push(relative(root, path).split('\\').join('/'));
  }
  return out;
}

const files = sources.flatMap((s) => walk(join(root, s), [])).sort();
const lines = files.map((f) => createHash('sha256').update(readFileSync(join(root, f))).digest('hex') + '  ' + f + '\n').join('');
const sum = createHash('sha256').update(lines).digest('hex');
writeFileSync(join(root, '../../graph/webapp/dist/SOURCES.sha256'), sum + '\n');
console.log('sources', sum, `(${files.length} files)`);
