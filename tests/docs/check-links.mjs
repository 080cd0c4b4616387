// tests/docs/check-links.mjs — every relative link in README.md and docs/*.md resolves: the
// file (or directory) it names exists in the repository, and a #fragment names a heading of
// that file (GitHub's anchor rules). External links (http:, https:, mailto:) are not
// fetched. Also holds the front page to its size: README.md at most 250 lines.
//
//   node tests/docs/check-links.mjs [root]     (exit 0 when every link resolves)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] || '.');
const README_MAX_LINES = 250;

// GitHub's heading anchor: lowercase, drop everything but letters, digits, spaces, '-' and
// '_', spaces to '-'; a repeated heading gets -1, -2, ...
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  let fence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    let slug = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) || 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

// Markdown links and images outside code: [text](target) and [text]: target definitions.
function links(text) {
  const out = [];
  let fence = false;
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('```')) { fence = !fence; return; }
    if (fence) return;
    const bare = line.replace(/`[^`]*`/g, '');
    for (const m of bare.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push([i + 1, m[1]]);
    const def = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(bare);
    if (def) out.push([i + 1, def[1]]);
  });
  return out;
}

const docsDir = path.join(root, 'docs');
const files = ['README.md', ...(fs.existsSync(docsDir) ? fs.readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : [])];
let checked = 0;
const bad = [];
for (const rel of files) {
  const file = path.join(root, rel);
  const text = fs.readFileSync(file, 'utf8');
  for (const [line, target] of links(text)) {
    if (/^(https?|mailto):/i.test(target)) continue;
    checked++;
    const [p, frag] = target.split('#', 2);
    const dest = p ? path.resolve(path.dirname(file), decodeURIComponent(p)) : file;
    if (!dest.startsWith(root + path.sep) && dest !== root) { bad.push(`${rel}:${line}: ${target}: leaves the repository`); continue; }
    if (!fs.existsSync(dest)) { bad.push(`${rel}:${line}: ${target}: no such file ${path.relative(root, dest)}`); continue; }
    if (frag !== undefined) {
      if (!dest.endsWith('.md')) { bad.push(`${rel}:${line}: ${target}: a #fragment on a file that is not Markdown`); continue; }
      if (!anchors(fs.readFileSync(dest, 'utf8')).has(frag)) bad.push(`${rel}:${line}: ${target}: no heading #${frag} in ${path.relative(root, dest)}`);
    }
  }
}
const readmeLines = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n').length - 1;
if (readmeLines > README_MAX_LINES) bad.push(`README.md: ${readmeLines} lines, more than ${README_MAX_LINES}: move detail into docs/`);
for (const b of bad) console.log(`FAIL ${b}`);
console.log(`doc links: ${checked} relative links in ${files.length} files, ${bad.length} problems; README.md ${readmeLines} lines`);
process.exit(bad.length ? 1 : 0);
