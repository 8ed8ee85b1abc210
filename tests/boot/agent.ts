/**
 * Runs inside each boot-harness instance (tests/boot/sandbox.sh starts it):
 *
 * - the instance metadata service, IMDSv2 only, on 169.254.169.254:80:
 *   `PUT /latest/api/token` gives a token, and `GET /latest/meta-data/<key>`
 *   answers with that token only, from /harness/imds/<key>;
 * - a process recorder: every 50 ms it reads the command line and
 *   environment of every process of the instance and appends each one not
 *   seen before to /var/log/harness-processes.log, which the tests search for
 *   secret values (what `ps -ef` or /proc would show a person on the host).
 */
import * as fs from "fs";
import * as http from "http";
import { randomBytes } from "crypto";

const IMDS_ROOT = "/harness/imds";
const PROCESS_LOG = "/var/log/harness-processes.log";

const tokens = new Set<string>();

const server = http.createServer((request, response) => {
    const url = request.url ?? "/";
    if (request.method === "PUT" && url === "/latest/api/token") {
        if (!request.headers["x-aws-ec2-metadata-token-ttl-seconds"]) {
            response.writeHead(400).end();
            return;
        }
        const token = randomBytes(16).toString("hex");
        tokens.add(token);
        response.writeHead(200, { "Content-Type": "text/plain" }).end(token);
        return;
    }
    if (request.method !== "GET" || !url.startsWith("/latest/meta-data/")) {
        response.writeHead(404).end();
        return;
    }
    const token = request.headers["x-aws-ec2-metadata-token"];
    if (typeof token !== "string" || !tokens.has(token)) {
        // IMDSv2 required (the launch templates set http_tokens = required).
        response.writeHead(401).end();
        return;
    }
    const key = url.slice("/latest/meta-data/".length);
    const file = `${IMDS_ROOT}/${key}`;
    if (key.includes("..") || !fs.existsSync(file)) {
        response.writeHead(404).end();
        return;
    }
    response.writeHead(200, { "Content-Type": "text/plain" }).end(fs.readFileSync(file, "utf8").trim());
});
// Alone in its network namespace (sandbox.sh links it to the instance).
server.listen(80);

const seen = new Set<string>();
function sample(): void {
    let lines = "";
    for (const pid of fs.readdirSync("/proc")) {
        if (!/^[0-9]+$/.test(pid)) {
            continue;
        }
        for (const kind of ["cmdline", "environ"]) {
            let text: string;
            try {
                text = fs.readFileSync(`/proc/${pid}/${kind}`, "latin1").replace(/\0/g, " ").trim();
            } catch {
                continue;
            }
            const line = `${kind} ${text}`;
            if (text && !seen.has(line)) {
                seen.add(line);
                lines += `${line}\n`;
            }
        }
    }
    if (lines) {
        fs.appendFileSync(PROCESS_LOG, lines);
    }
}
setInterval(sample, 50);
