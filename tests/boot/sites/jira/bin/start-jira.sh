#!/bin/bash
#
# Boot harness stand-in for Jira's bin/start-jira.sh (tests/boot/sites/README.md):
# what the unit gives Jira and what Jira needs first, and nothing of Jira.
# It runs in the foreground (-fg) as the unit's user, reads JIRA_HOME's
# dbconfig.xml as Jira does, logs in to PostgreSQL over TCP with it (the
# password through a private passfile, never argv or the environment) and
# then answers /status on 8080 as Jira does once it runs. A database it
# cannot log in to makes it exit 1, as Jira's start would fail.
set -euo pipefail
[[ ${1-} == -fg ]] || {
  echo "harness: only -fg is modelled" >&2
  exit 2
}
: "${JIRA_HOME:?JIRA_HOME is not set}" "${JAVA_HOME:?JAVA_HOME is not set}"
config="${JIRA_HOME}/dbconfig.xml"
field() { sed -n "s|.*<$1>\\(.*\\)</$1>.*|\\1|p" "$config"; }
url=$(field url)
[[ $url =~ ^jdbc:postgresql://([^:/]+):([0-9]+)/([A-Za-z0-9_]+)$ ]] || {
  echo "dbconfig.xml: unexpected url ${url}" >&2
  exit 1
}
# A password file's fields are separated by ':'; '\' and ':' within one are
# escaped with '\' (PostgreSQL's rules for ~/.pgpass).
pgpass_field() {
  local value=${1//\\/\\\\}
  printf '%s' "${value//:/\\:}"
}
passfile=$(mktemp)
trap 'rm -f -- "$passfile"' EXIT
printf '%s:%s:%s:%s:%s\n' "$(pgpass_field "${BASH_REMATCH[1]}")" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" \
  "$(pgpass_field "$(field username)")" \
  "$(pgpass_field "$(field password | sed 's/&quot;/"/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g')")" >"$passfile"
PGPASSFILE=$passfile psql -w -h "${BASH_REMATCH[1]}" -p "${BASH_REMATCH[2]}" -U "$(field username)" \
  -d "${BASH_REMATCH[3]}" -Atc 'select current_user' >/dev/null
rm -f -- "$passfile"
echo "harness Jira stand-in: logged in to ${url}; answering /status on 8080"
exec python3 -c '
import http.server
class Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/status"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{\"state\":\"RUNNING\"}" if ok else b"{}")
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Status).serve_forever()
'
