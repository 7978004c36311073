import { Router } from 'express';
import { DASHBOARD_SCRIPT_PATH } from './views';

/**
 * The dashboard's one script, served from our own origin so the pages' CSP can say
 * `script-src 'self'` and allow no inline script: a click on a `button[data-copy]` copies the text
 * of the element it names (the proxy URL) to the clipboard and says whether it worked.
 */
export const DASHBOARD_SCRIPT = `'use strict';
document.addEventListener('click', function (event) {
  var button = event.target && event.target.closest ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  var source = document.getElementById(button.getAttribute('data-copy'));
  if (!source || !navigator.clipboard) { button.textContent = 'Copy not available'; return; }
  navigator.clipboard.writeText(source.textContent).then(
    function () { button.textContent = 'Copied'; },
    function () { button.textContent = 'Copy failed'; }
  );
});
`;

export function assetRoutes(): Router {
  const r = Router();
  r.get(DASHBOARD_SCRIPT_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('text/javascript; charset=utf-8').send(DASHBOARD_SCRIPT);
  });
  return r;
}
