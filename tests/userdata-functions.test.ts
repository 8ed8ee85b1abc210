/**
 * Fast checks of single boot-script functions, without root: the rendered
 * script's functions are loaded into bash (its `main "$@"` left out) and the
 * commands they call are bash functions that record and answer. The boot
 * harness (tests/boot) runs the whole scripts against real services; these
 * pin down the defects it found in seconds.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import { readScript, renderScript, requiredVariables, UserDataScript } from "../components/userdata/render";

/** The script's functions and settings, without running main. */
function loadable(script: UserDataScript): string {
    const source = readScript(script);
    const values: Record<string, string> = Object.fromEntries(
        requiredVariables(source).map((name) => [name, "placeholder"]),
    );
    const rendered = renderScript(source, values);
    const withoutMain = rendered.replace(/^main "\$@"\n?$/m, "");
    expect(withoutMain, `${script} ends with main "$@"`).not.to.equal(rendered);
    return withoutMain;
}

/** Runs `body` after the script's functions are defined; stubs go in `body` before the call. */
function runWith(script: UserDataScript, body: string): { status: number; output: string } {
    const program = `${loadable(script)}\nset +e +o errtrace\ntrap - ERR\nset -e\n${body}\n`;
    const result = spawnSync("bash", ["-c", program], { encoding: "utf8", timeout: 20_000 });
    return { status: result.status ?? -1, output: result.stdout + result.stderr };
}

describe("boot script functions (no root)", () => {
    it("RabbitMQ: a node that systemd keeps restarting fails the boot at once, not after the 30-minute deadline", () => {
        const { status, output } = runWith(
            "rabbitmq",
            `
            state=$(mktemp -d)
            echo 0 >"$state/restarts"
            sleep() { :; }
            journalctl() { echo "journal: crashed"; }
            # The node never answers; every poll, systemd has restarted it once more.
            rabbitmq-diagnostics() {
              echo x >>"$state/polls"
              (($(wc -l <"$state/polls") < 50)) || { echo "still waiting after 50 polls"; exit 99; }
              return 69
            }
            systemctl() {
              case $1 in
                show) cat "$state/restarts"; echo $(($(cat "$state/restarts") + 1)) >"$state/restarts" ;;
                is-failed) return 1 ;;
                is-active) return 3 ;;
                *) return 0 ;;
              esac
            }
            node_config_changed=false
            start_rabbitmq
            `,
        );
        expect(status, output).to.equal(1);
        expect(output).to.match(/is not running \(systemd restarted it [1-9][0-9]* times\)/);
        expect(output).not.to.contain("still waiting after 50 polls");
    });

    it("web: a boot whose recorded release fails to deploy leaves nginx stopped and disabled (no placeholder after a reboot)", () => {
        const { status, output } = runWith(
            "web",
            `
            calls=$(mktemp)
            deploy_ssm_value() { printf 'v2'; }
            systemctl() { echo "systemctl $*" >>"$calls"; }
            fake_deploy=$(mktemp)
            printf '#!/bin/bash\\nexit 1\\n' >"$fake_deploy"
            chmod +x "$fake_deploy"
            deploy_tool_override=$fake_deploy
            eval "$(declare -f deploy_recorded_release | sed "s|\\"\\$deploy_tool\\"|\\"\\$deploy_tool_override\\"|")"
            (deploy_recorded_release) || echo "exit $?"
            cat "$calls"
            `,
        );
        expect(status, output).to.equal(0);
        expect(output).to.contain("exit 1");
        expect(output).to.contain("systemctl disable --now nginx");
    });
    it("Jira: xml_escape writes each XML special character as its entity (bash 5.2 reads an unquoted & in a replacement as the match)", () => {
        const { status, output } = runWith("jira", `xml_escape 'a<b>c&d"e'`);
        expect(status, output).to.equal(0);
        expect(output).to.equal("a&lt;b&gt;c&amp;d&quot;e");
    });

    // A WordPress not yet installed redirects its pages to the installer; curl -f took that 302 for ready.
    for (const [answer, ready] of [
        ["302", false],
        ["200", true],
    ] as const) {
        it(`team tools: the readiness check ${ready ? "passes on" : "fails on"} a ${answer} from a real HTTP server`, () => {
            const { status, output } = runWith(
                "cms",
                `
                sleep() { :; }
                python3 -c '
import http.server, sys
class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(${answer})
        self.send_header("Location", "/wp-admin/install.php")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Page)
print(server.server_port, flush=True)
server.serve_forever()
' >"\${TMPDIR:-/tmp}/port.$$" &
                server=$!
                trap 'kill "$server"' EXIT
                until [[ -s "\${TMPDIR:-/tmp}/port.$$" ]]; do command sleep 0.05; done
                port=$(<"\${TMPDIR:-/tmp}/port.$$")
                rm -f -- "\${TMPDIR:-/tmp}/port.$$"
                (wait_for_http "http://127.0.0.1:\${port}/wp-login.php" 2) || echo "exit $?"
                `,
            );
            expect(status, output).to.equal(0);
            if (ready) {
                expect(output).to.contain("/wp-login.php answers").and.not.to.contain("exit");
            } else {
                expect(output).to.contain("did not answer 200 within 2s (last answer: 302)").and.to.contain("exit 1");
            }
        });
    }
});
