/**
 * The console's static files: Pico CSS and htmx from their npm packages (node_modules, never a CDN),
 * and the console's own few lines of CSS and JavaScript. Read once at start.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const read = (specifier: string) => readFileSync(require.resolve(specifier), 'utf8');

/** Copy buttons for secrets shown once, and a confirmation before a destructive form is sent. */
const CONSOLE_JS = `'use strict';
document.querySelectorAll('[data-copy]').forEach(function (button) {
  button.hidden = false;
  button.addEventListener('click', function () {
    var el = document.getElementById(button.getAttribute('data-copy'));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent).then(function () { button.textContent = 'Copied'; });
  });
});
document.addEventListener('submit', function (e) {
  var form = e.target;
  var message = form && form.getAttribute && form.getAttribute('data-confirm');
  if (message && !window.confirm(message)) e.preventDefault();
});
`;

const CONSOLE_CSS = `.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; }
form.inline { display: inline-block; margin: 0; }
form.inline button { margin: 0; padding: 0.25rem 0.75rem; width: auto; }
.notice.ok { border-left: 0.3rem solid #2a7; }
.notice.error { border-left: 0.3rem solid #c33; }
code[data-secret] { word-break: break-all; }
table td, table th { vertical-align: top; }
.counts { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 1rem; }
.counts article { margin: 0; text-align: center; }
.counts strong { display: block; font-size: 2rem; }
`;

export interface Asset {
  type: string;
  body: string;
}

export function loadAssets(): Map<string, Asset> {
  return new Map<string, Asset>([
    ['pico.min.css', { type: 'text/css; charset=utf-8', body: read('@picocss/pico/css/pico.min.css') }],
    ['htmx.min.js', { type: 'text/javascript; charset=utf-8', body: read('htmx.org/dist/htmx.min.js') }],
    ['console.js', { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS }],
    ['console.css', { type: 'text/css; charset=utf-8', body: CONSOLE_CSS }],
  ]);
}
