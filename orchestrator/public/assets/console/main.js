/** The operator console: key, the tenant's runs, and the build form. */
import { byId } from '../lib/dom.js';
import { mountKeyPanel } from '../lib/key-panel.js';
import { onKeyChange } from '../lib/key-store.js';
import { createBuildForm } from './build-form.js';
import { createRunsTable } from './runs-table.js';

mountKeyPanel(byId('key-panel'));
const runs = createRunsTable();
createBuildForm({ onBuilt: () => void runs.reset() });
onKeyChange(() => void runs.reset());
void runs.load().then(() => {
  document.body.dataset.ready = 'true';
});
