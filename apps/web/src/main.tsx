/**
 * Entry of the web UI: `/` is the labeler view, `/admin/...` the admin view (loaded on demand, with the charting
 * library, so labelers never download it).
 */
import './styles.css';
import { render } from 'preact';
import { LabelerApp } from './labeler/labeler-app';

const root = document.getElementById('app') as HTMLElement;

if (location.pathname === '/admin' || location.pathname.startsWith('/admin/')) {
  import('./admin/admin-app')
    .then(({ AdminApp }) => render(<AdminApp />, root))
    .catch((e: unknown) => {
      root.textContent = `The admin view failed to load: ${e instanceof Error ? e.message : String(e)}. Reload the page to try again.`;
    });
} else {
  render(<LabelerApp />, root);
}
