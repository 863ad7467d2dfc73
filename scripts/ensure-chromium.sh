#!/usr/bin/env bash
# Make sure Debian's chromium (and its driver) is present for the browser tests.
# Idempotent: does nothing when /usr/bin/chromium exists. Installs only when run as root;
# otherwise says what is missing and exits 0 (the browser tests then skip with a reason).
# Never downloads a browser through Playwright: the Debian package is the only source.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "ensure-chromium: /usr/bin/chromium is missing and we are not root; install the Debian 'chromium' package" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
test -x /usr/bin/chromium
