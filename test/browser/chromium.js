// What the browser tests share: playwright-core from $GOIM_CACHE_DIR/playwright (scripts/setup.sh
// installs it there), Debian's headless chromium ($GOIM_CHROMIUM, default /usr/bin/chromium), a
// skip (exit 77, which ctest reports as skipped) when either is missing, and the check that prints
// one line per passed step.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const SKIP = 77;

function skip(reason) {
  console.log('SKIPPED: ' + reason);
  process.exit(SKIP);
}

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok - ' + what);
}

// Skips the test (exit 77) unless playwright-core and chromium are installed; call it first.
function requireBrowser() {
  const cache = process.env.GOIM_CACHE_DIR || path.join(os.homedir(), '.cache', 'goim-cpp');
  let chromium;
  try {
    ({chromium} = require(path.join(cache, 'playwright', 'node_modules', 'playwright-core')));
  } catch (e) {
    skip('playwright-core is not installed in ' + cache + '/playwright (run scripts/setup.sh): ' + e.message);
  }
  const executablePath = process.env.GOIM_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) skip(executablePath + ' is missing (apt-get install chromium)');
  return {
    // A headless chromium without sandbox (root in CI), GPU or background traffic.
    launch: () => chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
             '--disable-extensions', '--no-first-run', '--disable-component-update'],
    }),
  };
}

module.exports = {check, requireBrowser, skip};
